/**
 * Gmail sync end to end: the real server and the real googleapis / google-auth-library
 * clients against the protocol-faithful fake Google (@rapport/google-fake), real Postgres
 * and Redis. Each test connects its own mailbox through the whole OAuth flow.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createLogger, createPrivacyRegistry, ManualClock } from "@rapport/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type SignedInUser, type TestApp, type TestDriver } from "./support/app";
import { googleEnv, startGoogleFake, type GoogleFake } from "./support/google";
import type { FakeMessage } from "@rapport/google-fake";
import { joinWorkspace } from "./support/members";
import { until } from "./support/until";

let google: GoogleFake;
let app: TestApp;
let clock: ManualClock;
const logLines: string[] = [];

/** Google played by `fake`; queued syncs are run by the tests themselves (syncConnection), deterministically. */
function gmailTestEnv(fake: GoogleFake): Record<string, string> {
  return { ...googleEnv(fake), GMAIL_SYNC_CONCURRENCY: "8", GMAIL_MAX_RETRIES: "3" };
}

beforeAll(async () => {
  google = await startGoogleFake();
  clock = new ManualClock(new Date());
  const log = createLogger("debug", {}, { write: (line: string) => void logLines.push(line) });
  app = await createTestApp({ clock, env: gmailTestEnv(google), log, role: "api" });
});

afterAll(async () => {
  await app?.close();
  await google?.close();
});

let mailboxCounter = 0;

interface Connected {
  user: SignedInUser;
  workspaceId: string;
  email: string;
  connectionId: string;
}

/** What the browser does: consent at Google, back through our callback to the Integrations page. */
async function consent(target: TestApp, user: SignedInUser, workspaceId: string) {
  const { url } = await user.client.gmail.authUrl.mutate({ workspaceId });
  const atGoogle = await fetch(url, { redirect: "manual" });
  expect(atGoogle.status).toBe(302);
  const back = new URL(atGoogle.headers.get("location")!);
  const callback = await fetch(`${target.url}${back.pathname}${back.search}`, { redirect: "manual" });
  return { url: new URL(url), back, callback };
}

async function connect(
  options: { messages?: number; target?: TestApp; user?: SignedInUser; workspaceId?: string } = {},
): Promise<Connected> {
  const target = options.target ?? app;
  const email = `owner${++mailboxCounter}.${randomBytes(3).toString("hex")}@gmail.example`;
  google.addMailbox({
    email,
    messages: options.messages ?? 40,
    participantsPerMessage: 3,
    categoryMessages: 5,
    automatedMessages: 3,
    encodedWordRatio: 0.3,
    seed: mailboxCounter,
  });
  const user = options.user ?? (await target.signUp("Mailbox Owner"));
  const workspaceId =
    options.workspaceId ?? (await user.client.workspaces.create.mutate({ name: `Mail ${mailboxCounter}` })).id;
  const { url } = await user.client.gmail.authUrl.mutate({ workspaceId });
  const consentUrl = new URL(url);
  consentUrl.searchParams.set("login_hint", email);
  const atGoogle = await fetch(consentUrl, { redirect: "manual" });
  const back = new URL(atGoogle.headers.get("location")!);
  const callback = await fetch(`${target.url}${back.pathname}${back.search}`, { redirect: "manual" });
  expect(callback.status).toBe(303);
  const page = new URL(callback.headers.get("location")!, target.url);
  expect(page.pathname).toBe("/integrations");
  const status = await user.client.gmail.completeOAuth.mutate({
    workspaceId: page.searchParams.get("workspace")!,
    code: page.searchParams.get("gmailCode")!,
    state: page.searchParams.get("gmailState")!,
  });
  expect(status).toMatchObject({ connected: true, googleEmail: email, status: "active" });
  const [row] = await target.query<{ id: string }>`SELECT id FROM gmail_connections WHERE google_email = ${email}`;
  return { user, workspaceId, email, connectionId: row!.id };
}

async function contactEmails(target: TestApp, workspaceId: string): Promise<Set<string>> {
  const rows = await target.query<{ email: string }>`
    SELECT lower(email) AS email FROM contacts WHERE workspace_id = ${workspaceId} AND deleted_at IS NULL AND email IS NOT NULL`;
  return new Set(rows.map((row) => row.email));
}

async function interactionCount(target: TestApp, workspaceId: string): Promise<number> {
  const [row] = await target.query<{ n: number }>`
    SELECT count(*)::int AS n FROM interactions WHERE workspace_id = ${workspaceId} AND source = 'gmail'`;
  return Number(row!.n);
}

const personal = (email: string) => google.mailbox(email).messages.filter((m) => m.kind === "personal" && !m.deleted);

/**
 * One message with three people on it (From/To/Cc): it is one interaction, on each of the three
 * contacts' timelines once, counted once on each contact's figures and once in the workspace's.
 */
async function expectOneEmailWithThreeContacts(target: TestApp) {
  const { email, workspaceId, connectionId, user } = await connect({ messages: 0, target });
  const [message] = google.mailbox(email).addMessages(1);
  // Where a queued first sync runs in the process (embedded mode), this one may find it running: run again.
  await until("the message imported", async () => {
    await target.runtime.services.gmail.syncConnection(connectionId);
    return (await interactionCount(target, workspaceId)) > 0;
  });
  const people = [message!.from, ...message!.to, ...message!.cc].filter((p) => p.email !== email);
  expect(people).toHaveLength(3);
  expect(await interactionCount(target, workspaceId)).toBe(1);
  const asOf = new Date(message!.internalDate + 60_000);
  const metrics = await user.client.analytics.metrics.query({ workspaceId, asOf, sortBy: "interactions", limit: 10 });
  expect(metrics.contacts).toBe(3);
  expect(metrics.engagement).toMatchObject({ interactions30d: 1, contactedContacts: 3, inactiveContacts: 0 });
  expect(metrics.clv.total).toBe(30);
  for (const person of people) {
    const [contact] = await target.query<{ id: string }>`
      SELECT id FROM contacts WHERE workspace_id = ${workspaceId} AND lower(email) = ${person.email}`;
    const contactId = contact!.id;
    const timeline = await user.client.interactions.listForContact.query({ workspaceId, contactId });
    expect(
      timeline.items.map((item) => item.externalId),
      person.email,
    ).toEqual([message!.id]);
    expect(new Set(timeline.items[0]!.participants.map((p) => p.contactId)).size).toBe(3);
    const relationship = await user.client.analytics.contactRelationship.query({ workspaceId, contactId, asOf });
    expect(relationship, person.email).toMatchObject({
      interactions: 1,
      interactions30d: 1,
      lastContactAt: new Date(message!.internalDate),
      clv: { value: 10 },
      health: { recency: 100 },
    });
    expect(metrics.topContacts.find((row) => row.id === contactId)?.interactionCount).toBe(1);
    const insights = await user.client.gmail.contactInsights.query({ workspaceId, contactId });
    expect(insights).toMatchObject({ totalEmails: 1, lastSubject: message!.subject });
  }
}

describe("OAuth", () => {
  it("asks Google for offline, read-only access with PKCE (S256) and a signed state", async () => {
    const user = await app.signUp();
    const { id: workspaceId } = await user.client.workspaces.create.mutate({ name: "OAuth" });
    const { url } = await user.client.gmail.authUrl.mutate({ workspaceId });
    const params = new URL(url).searchParams;
    expect(params.get("access_type")).toBe("offline");
    expect(params.get("prompt")).toBe("consent");
    expect(params.get("scope")).toBe("https://www.googleapis.com/auth/gmail.readonly");
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get("state")!.split(".")).toHaveLength(2);
  });

  it("connects, stores the refresh token sealed (not in a dump) and queues the first sync", async () => {
    const { email, workspaceId, user } = await connect();
    const grant = google.grants(email).at(-1)!;
    expect(grant.refreshToken).toBeTruthy();
    const [row] = await app.query<{ refresh_token_sealed: string }>`
      SELECT refresh_token_sealed FROM gmail_connections WHERE google_email = ${email}`;
    expect(row!.refresh_token_sealed).not.toContain(grant.refreshToken!);
    expect(row!.refresh_token_sealed).toMatch(/^v1\.k1\./);
    const dump = await app.query<{ dump: string }>`
      SELECT string_agg(t::text, E'\n') AS dump FROM gmail_connections t`;
    expect(dump[0]!.dump).not.toContain(grant.refreshToken!);
    const status = await user.client.gmail.status.query({ workspaceId });
    expect(JSON.stringify(status)).not.toContain(grant.refreshToken!);
    expect(status.nextSyncInSec).toBe(0);
  });

  it("refuses a reused state, an expired one, and one issued to someone else — storing nothing", async () => {
    const owner = await app.signUp();
    const { id: workspaceId } = await owner.client.workspaces.create.mutate({ name: "States" });
    google.addMailbox({ email: `states.${randomBytes(3).toString("hex")}@gmail.example`, messages: 1 });
    const first = await consent(app, owner, workspaceId);
    const page = new URL(first.callback.headers.get("location")!, app.url);
    const code = page.searchParams.get("gmailCode")!;
    const state = page.searchParams.get("gmailState")!;

    // Someone else signed in cannot redeem it.
    const mallory = await app.signUp("Mallory");
    await joinWorkspace(owner, workspaceId, mallory);
    await expect(mallory.client.gmail.completeOAuth.mutate({ workspaceId, code, state })).rejects.toMatchObject({
      data: { code: "FORBIDDEN" },
    });

    await owner.client.gmail.completeOAuth.mutate({ workspaceId, code, state });
    await expect(owner.client.gmail.completeOAuth.mutate({ workspaceId, code, state })).rejects.toMatchObject({
      data: { code: "BAD_REQUEST" },
    });
    const replay = await fetch(`${app.url}${first.back.pathname}${first.back.search}`, { redirect: "manual" });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("already used");

    const late = await consent(app, owner, workspaceId);
    clock.advance(11 * 60_000);
    try {
      expect(late.callback.status).toBe(303);
      const latePage = new URL(late.callback.headers.get("location")!, app.url);
      await expect(
        owner.client.gmail.completeOAuth.mutate({
          workspaceId,
          code: latePage.searchParams.get("gmailCode")!,
          state: latePage.searchParams.get("gmailState")!,
        }),
      ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" }, message: expect.stringContaining("expired") });
      const expired = await fetch(`${app.url}${late.back.pathname}${late.back.search}`, { redirect: "manual" });
      expect(expired.status).toBe(400);
      expect(await expired.text()).toContain("expired");
    } finally {
      clock.advance(-11 * 60_000);
    }
    const forged = await fetch(`${app.url}/oauth/google/callback?code=x&state=${encodeURIComponent(`${state}x`)}`);
    expect(forged.status).toBe(400);
    const [{ n }] = (await app.query<{ n: number }>`
      SELECT count(*)::int AS n FROM gmail_connections WHERE workspace_id = ${workspaceId}`) as [{ n: number }];
    expect(Number(n)).toBe(1);
  });
});

describe("sync", () => {
  it("imports every person as one contact and every personal message once, with participants and direction", async () => {
    const { email, workspaceId, connectionId, user } = await connect({ messages: 60 });
    const outcome = await app.runtime.services.gmail.syncConnection(connectionId);
    expect(outcome).toMatchObject({ result: "completed", mode: "full" });
    // The run reported on the progress channel the dashboard follows, to its owner.
    const [run] = await app.query<{ progress_started_at: Date }>`
      SELECT progress_started_at FROM gmail_connections WHERE id = ${connectionId}`;
    const jobId = `gmail-sync-${connectionId}-${new Date(run!.progress_started_at).getTime()}`;
    const progress = await user.client.jobs.get.query({ jobId });
    expect(progress).toMatchObject({ kind: "gmail.sync", state: "completed", percent: 100 });
    expect(progress.done).toBe(progress.total);
    expect(progress.total).toBeGreaterThan(0);
    const mailbox = google.mailbox(email);
    const expected = mailbox.expectedContacts();
    expect(await contactEmails(app, workspaceId)).toEqual(expected);
    expect(await interactionCount(app, workspaceId)).toBe(personal(email).length);
    if (outcome.result !== "completed") throw new Error("sync failed");
    expect(outcome.counts).toMatchObject({
      contactsCreated: expected.size,
      interactionsLogged: personal(email).length,
      emailsProcessed: mailbox.messages.length,
    });

    // Each message: direction, date, subject and every person on it.
    const sample = personal(email)[0]!;
    const [interaction] = await app.query<{ id: string; direction: string; occurred_at: Date; subject: string }>`
      SELECT id, direction, occurred_at, subject FROM interactions WHERE workspace_id = ${workspaceId} AND external_id = ${sample.id}`;
    expect(interaction!.direction).toBe(sample.direction);
    expect(new Date(interaction!.occurred_at).getTime()).toBe(sample.internalDate);
    expect(interaction!.subject).toBe(sample.subject);
    const participants = await app.query<{ email: string }>`
      SELECT email FROM interaction_participants WHERE interaction_id = ${interaction!.id}`;
    const people = [sample.from, ...sample.to, ...sample.cc].map((p) => p.email).filter((e) => e !== email);
    expect(new Set(participants.map((p) => p.email))).toEqual(new Set(people));

    // Filed under its first participant (the sender, or the first recipient of sent mail), on whose timeline it is.
    const [primary] = await app.query<{ email: string; id: string }>`
      SELECT c.email, c.id FROM interactions i JOIN contacts c ON c.id = i.contact_id WHERE i.id = ${interaction!.id}`;
    expect(primary!.email).toBe(sample.direction === "inbound" ? sample.from.email : sample.to[0]!.email);
    const timeline = await user.client.interactions.listForContact.query({ workspaceId, contactId: primary!.id });
    expect(timeline.items.map((i) => i.externalId)).toContain(sample.id);

    // Names come from the headers (decoded), and a name a user typed is never overwritten.
    const named = mailbox.people.find((p) => p.name && expected.has(p.email))!;
    const [contact] = await app.query<{ id: string; name: string }>`
      SELECT id, name FROM contacts WHERE workspace_id = ${workspaceId} AND lower(email) = ${named.email}`;
    expect(contact!.name).toBe(named.name);
    await user.client.contacts.update.mutate({ workspaceId, contactId: contact!.id, patch: { name: "Typed By Hand" } });

    // Running again duplicates nothing.
    await app.runtime.services.gmail.syncNow({ workspaceId, userId: user.userId }, 60);
    const again = await app.runtime.services.gmail.syncConnection(connectionId);
    expect(again).toMatchObject({ result: "completed", counts: { contactsCreated: 0, interactionsLogged: 0 } });
    expect(await interactionCount(app, workspaceId)).toBe(personal(email).length);
    const [renamed] = await app.query<{ name: string }>`SELECT name FROM contacts WHERE id = ${contact!.id}`;
    expect(renamed!.name).toBe("Typed By Hand");

    // Enrichment is stored per contact.
    const insights = await user.client.gmail.contactInsights.query({ workspaceId, contactId: contact!.id });
    expect(insights.totalEmails).toBeGreaterThan(0);
    expect(insights.lastEmailAt).toBeInstanceOf(Date);

    const status = await user.client.gmail.status.query({ workspaceId });
    expect(status).toMatchObject({
      contactsSynced: expected.size,
      interactionsLogged: personal(email).length,
      lastError: null,
      syncing: false,
    });
    expect(status.lastSyncAt).toBeInstanceOf(Date);
    expect(status.lastFullSyncAt).toBeInstanceOf(Date);
    expect(status.nextSyncInSec).toBeGreaterThan(4 * 60);
    expect(status.nextSyncInSec).toBeLessThanOrEqual(6 * 60);
  });

  it("puts an email on the timeline of every contact on it, counted once for each", async () => {
    await expectOneEmailWithThreeContacts(app);
  });

  it("continues incrementally from the stored historyId, and resyncs fully when history is too old", async () => {
    const { email, workspaceId, connectionId } = await connect({ messages: 20 });
    await app.runtime.services.gmail.syncConnection(connectionId);
    google.mailbox(email).addMessages(4);
    google.resetStats();
    const incremental = await app.runtime.services.gmail.syncConnection(connectionId);
    expect(incremental).toMatchObject({ result: "completed", mode: "incremental", counts: { interactionsLogged: 4 } });
    expect(google.getStats().byRoute["gmail.users.messages.list"] ?? 0).toBe(0);
    expect(await interactionCount(app, workspaceId)).toBe(personal(email).length);

    google.mailbox(email).addMessages(3);
    google.mailbox(email).expireHistory();
    const resync = await app.runtime.services.gmail.syncConnection(connectionId);
    expect(resync).toMatchObject({ result: "completed", mode: "resync", counts: { interactionsLogged: 3 } });
    expect(await interactionCount(app, workspaceId)).toBe(personal(email).length);
    expect(await contactEmails(app, workspaceId)).toEqual(google.mailbox(email).expectedContacts());
  });

  it("never imports an address the owner named as their own alias", async () => {
    const { email, workspaceId, connectionId, user } = await connect({ messages: 0 });
    const [message] = google.mailbox(email).addMessages(1);
    const people = [message!.from, ...message!.to, ...message!.cc].map((p) => p.email).filter((e) => e !== email);
    expect(people).toHaveLength(3);
    const [alias, ...others] = people as [string, ...string[]];
    // The mailbox's own address is refused (already skipped); an alias is stored lower-cased.
    await expect(
      user.client.gmail.updateSettings.mutate({ workspaceId, aliases: [email.toUpperCase()] }),
    ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
    const settings = await user.client.gmail.updateSettings.mutate({ workspaceId, aliases: [alias.toUpperCase()] });
    expect(settings).toMatchObject({ aliases: [alias], deleteWithMessages: false });

    await app.runtime.services.gmail.syncConnection(connectionId);
    expect(await contactEmails(app, workspaceId)).toEqual(new Set(others));
    const participants = await app.query<{ email: string }>`
      SELECT p.email FROM interaction_participants p JOIN interactions i ON i.id = p.interaction_id
      WHERE i.workspace_id = ${workspaceId} AND i.external_id = ${message!.id}`;
    expect(new Set(participants.map((p) => p.email))).toEqual(new Set(others));
    // Mail from the alias is the owner's own: sent, not received.
    if (message!.from.email === alias) {
      const [row] = await app.query<{ direction: string }>`
        SELECT direction FROM interactions WHERE workspace_id = ${workspaceId} AND external_id = ${message!.id}`;
      expect(row!.direction).toBe("outbound");
    }
  });

  it("keeps the interaction of a deleted message unless the connection deletes with messages", async () => {
    const { email, workspaceId, connectionId, user } = await connect({ messages: 10 });
    await app.runtime.services.gmail.syncConnection(connectionId);
    const mailbox = google.mailbox(email);
    const [kept, removed] = personal(email) as [FakeMessage, FakeMessage];
    const interactionOf = async (messageId: string) =>
      (
        await app.query<{ id: string }>`
          SELECT id FROM interactions WHERE workspace_id = ${workspaceId} AND source = 'gmail' AND external_id = ${messageId}`
      )[0]?.id;
    const keptId = await interactionOf(kept.id);
    const removedId = await interactionOf(removed.id);
    expect(keptId).toBeDefined();
    expect(removedId).toBeDefined();
    const logged = (await user.client.gmail.status.query({ workspaceId })).interactionsLogged;

    // Off (the default): the user's record of contact stays.
    mailbox.deleteMessage(kept.id);
    const off = await app.runtime.services.gmail.syncConnection(connectionId);
    expect(off).toMatchObject({ result: "completed", mode: "incremental", counts: { interactionsDeleted: 0 } });
    expect(await interactionOf(kept.id)).toBe(keptId);

    // On: a deletion from now on deletes its interaction, with the event interactions.delete writes.
    await user.client.gmail.updateSettings.mutate({ workspaceId, deleteWithMessages: true });
    mailbox.deleteMessage(removed.id);
    const [newer] = mailbox.addMessages(1);
    const on = await app.runtime.services.gmail.syncConnection(connectionId);
    expect(on).toMatchObject({
      result: "completed",
      mode: "incremental",
      counts: { interactionsDeleted: 1, interactionsLogged: 1 },
    });
    expect(await interactionOf(removed.id)).toBeUndefined();
    expect(await interactionOf(kept.id)).toBe(keptId);
    expect(await interactionOf(newer!.id)).toBeDefined();
    const events = await app.query<{ actor_id: string }>`
      SELECT actor_id FROM domain_events
      WHERE workspace_id = ${workspaceId} AND type = 'interaction.deleted' AND payload->>'interactionId' = ${removedId!}`;
    expect(events).toEqual([{ actor_id: user.userId }]);
    expect((await user.client.gmail.status.query({ workspaceId })).interactionsLogged).toBe(logged);
    // The figures of the people on it no longer count it.
    const [person] = await app.query<{ id: string }>`
      SELECT id FROM contacts WHERE workspace_id = ${workspaceId} AND lower(email) = ${removed.from.email === email ? removed.to[0]!.email : removed.from.email}`;
    const timeline = await user.client.interactions.listForContact.query({ workspaceId, contactId: person!.id });
    expect(timeline.items.map((item) => item.externalId)).not.toContain(removed.id);
    const insights = await user.client.gmail.contactInsights.query({ workspaceId, contactId: person!.id });
    expect(insights.totalEmails).toBe(timeline.items.filter((item) => item.source === "gmail").length);
  });

  it("refreshes the access token before it expires and keeps the new one (sealed)", async () => {
    const { connectionId } = await connect({ messages: 3 });
    await app.runtime.services.gmail.syncConnection(connectionId);
    const [before] = await app.query<{ access_token_sealed: string }>`
      SELECT access_token_sealed FROM gmail_connections WHERE id = ${connectionId}`;
    // One minute left: inside google-auth-library's eager-refresh window.
    await app.query`UPDATE gmail_connections SET access_token_expires_at = ${new Date(Date.now() + 60_000).toISOString()}::timestamptz WHERE id = ${connectionId}`;
    google.resetStats();
    await app.runtime.services.gmail.syncConnection(connectionId);
    expect(google.getStats().byRoute["oauth.token"]).toBe(1);
    const [after] = await app.query<{ access_token_sealed: string; access_token_expires_at: Date }>`
      SELECT access_token_sealed, access_token_expires_at FROM gmail_connections WHERE id = ${connectionId}`;
    expect(after!.access_token_sealed).not.toBe(before!.access_token_sealed);
    expect(new Date(after!.access_token_expires_at).getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
    // The stored access token is used on the next run: no refresh.
    google.resetStats();
    await app.runtime.services.gmail.syncConnection(connectionId);
    expect(google.getStats().byRoute["oauth.token"] ?? 0).toBe(0);
  });
});

describe("errors", () => {
  it("retries 429, 403 rate limits and 500s, then completes with exact counts", async () => {
    const { email, workspaceId, connectionId } = await connect({ messages: 30 });
    google.failNext(2, { status: 429 });
    google.failNext(1, { status: 403, reason: "rateLimitExceeded" });
    google.failNext(2, { status: 500, pathContains: "/messages/" });
    const outcome = await app.runtime.services.gmail.syncConnection(connectionId);
    expect(outcome).toMatchObject({ result: "completed" });
    expect(await interactionCount(app, workspaceId)).toBe(personal(email).length);
  });

  it("keeps what was stored when a sync fails midway and resumes from the stored position", async () => {
    const { email, workspaceId, connectionId, user } = await connect({ messages: 250 });
    // The third chunk's reads fail past every retry.
    let gets = 0;
    const original = google.latencyMs;
    google.resetStats();
    const failing = app.runtime.services.gmail.syncConnection(connectionId);
    // Wait until two chunks are stored, then make every message read fail.
    while (gets < 200) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      gets = google.getStats().byRoute["gmail.users.messages.get"] ?? 0;
    }
    google.failNext(1_000, { status: 500, pathContains: "/messages/" });
    const failed = await failing;
    google.clearFaults();
    google.latencyMs = original;
    expect(failed).toMatchObject({ result: "failed", reason: "error" });
    const stored = await interactionCount(app, workspaceId);
    expect(stored).toBeGreaterThan(0);
    const status = await user.client.gmail.status.query({ workspaceId });
    expect(status.lastError).toContain("continues where it stopped");
    const [row] = await app.query<{ sync_cursor: { offset: number } }>`
      SELECT sync_cursor FROM gmail_connections WHERE id = ${connectionId}`;
    expect(row!.sync_cursor.offset).toBeGreaterThanOrEqual(100);

    google.resetStats();
    const resumed = await app.runtime.services.gmail.syncConnection(connectionId);
    expect(resumed).toMatchObject({ result: "completed", mode: "full" });
    // Only what was left is read again.
    expect(google.getStats().byRoute["gmail.users.messages.get"]).toBeLessThanOrEqual(
      google.mailbox(email).messages.length - row!.sync_cursor.offset,
    );
    expect(await interactionCount(app, workspaceId)).toBe(personal(email).length);
  });

  it("stops at a long wait Google names and schedules the next run after it", async () => {
    const { workspaceId, connectionId, user } = await connect({ messages: 5 });
    google.failNext(1, { status: 403, reason: "userRateLimitExceeded", retryAfterSec: 600 });
    const outcome = await app.runtime.services.gmail.syncConnection(connectionId);
    expect(outcome).toMatchObject({ result: "failed", reason: "throttled" });
    const status = await user.client.gmail.status.query({ workspaceId });
    expect(status.status).toBe("active");
    expect(status.lastError).toContain("rate-limiting");
    expect(status.nextSyncInSec).toBeGreaterThanOrEqual(590);
  });

  it("a revoked grant sets status error (reconnect needed) without retrying, and tokens never reach the logs", async () => {
    const { email, workspaceId, connectionId, user } = await connect({ messages: 5 });
    await app.runtime.services.gmail.syncConnection(connectionId);
    const grant = google.grants(email).at(-1)!;
    google.revokeAccess(email);
    google.expireAccessTokens(email);
    await app.query`UPDATE gmail_connections SET access_token_expires_at = ${new Date(Date.now() - 1_000).toISOString()}::timestamptz WHERE id = ${connectionId}`;
    google.resetStats();
    const outcome = await app.runtime.services.gmail.syncConnection(connectionId);
    expect(outcome).toMatchObject({ result: "failed", reason: "reconnect_needed" });
    expect(google.getStats().requests).toBeLessThanOrEqual(2);
    const status = await user.client.gmail.status.query({ workspaceId });
    expect(status).toMatchObject({ status: "error", nextSyncInSec: null });
    expect(status.lastError).toContain("reconnect");
    const [event] = await app.query<{ payload: { reason: string } }>`
      SELECT payload FROM domain_events WHERE type = 'gmail.sync.failed' AND payload->>'connectionId' = ${connectionId}`;
    expect(event!.payload.reason).toBe("reconnect_needed");
    // Not queued again by the scheduler.
    clock.advance(60 * 60_000);
    try {
      const due = await app.query<{ id: string }>`
        SELECT id FROM gmail_connections WHERE id = ${connectionId} AND status = 'active'`;
      expect(due).toHaveLength(0);
    } finally {
      clock.advance(-60 * 60_000);
    }
    const logs = logLines.join("");
    expect(logs).toContain("gmail: sync failed");
    for (const g of google.grants(email)) expect(logs).not.toContain(g.refreshToken!);
    expect(logs).not.toContain(grant.refreshToken!);
    expect(logs).not.toMatch(/ya29\.|Bearer [A-Za-z0-9]/);
  });
});

describe("privacy and access", () => {
  it("skips (and shows as skipped) the mailbox of a user who restricted processing", async () => {
    const { workspaceId, connectionId, user } = await connect({ messages: 5 });
    await user.client.gdpr.restrict.mutate();
    google.resetStats();
    const outcome = await app.runtime.services.gmail.syncConnection(connectionId);
    expect(outcome).toEqual({ result: "skipped", reason: "restricted" });
    expect(google.getStats().requests).toBe(0);
    expect(await interactionCount(app, workspaceId)).toBe(0);
    const status = await user.client.gmail.status.query({ workspaceId });
    expect(status.skipped).toContain("restricted");
    await expect(user.client.gmail.syncNow.mutate({ workspaceId })).rejects.toMatchObject({
      data: { code: "FORBIDDEN" },
    });
  });

  it("never re-creates an erased person, and does not update a restricted contact", async () => {
    const { email, workspaceId, connectionId, user } = await connect({ messages: 30 });
    await app.runtime.services.gmail.syncConnection(connectionId);
    const mailbox = google.mailbox(email);
    const [erased, restricted] = [...mailbox.expectedContacts()];
    const [erasedRow] = await app.query<{ id: string }>`
      SELECT id FROM contacts WHERE workspace_id = ${workspaceId} AND lower(email) = ${erased!}`;
    await user.client.gdpr.eraseContact.mutate({
      workspaceId,
      contactId: erasedRow!.id,
      reason: "asked to be forgotten",
    });
    const [restrictedRow] = await app.query<{ id: string; updated_at: Date }>`
      SELECT id, updated_at FROM contacts WHERE workspace_id = ${workspaceId} AND lower(email) = ${restricted!}`;
    await user.client.gdpr.restrictContact.mutate({ workspaceId, contactId: restrictedRow!.id });
    const linkedBefore = await app.query<{ n: number }>`
      SELECT count(*)::int AS n FROM interaction_participants WHERE contact_id = ${restrictedRow!.id}`;

    // New mail with both of them, and a full pass over everything again.
    mailbox.addMessages(10);
    await app.runtime.services.gmail.syncNow({ workspaceId, userId: user.userId }, 100);
    await app.runtime.services.gmail.syncConnection(connectionId);
    expect(await contactEmails(app, workspaceId)).not.toContain(erased);
    const [{ n }] = (await app.query<{ n: number }>`
      SELECT count(*)::int AS n FROM interaction_participants WHERE workspace_id = ${workspaceId} AND email = ${erased!}`) as [
      { n: number },
    ];
    expect(Number(n)).toBe(0);
    const linkedAfter = await app.query<{ n: number }>`
      SELECT count(*)::int AS n FROM interaction_participants WHERE contact_id = ${restrictedRow!.id}`;
    expect(Number(linkedAfter[0]!.n)).toBe(Number(linkedBefore[0]!.n));
    // Its email figures are refused while restricted (as its analytics are), and come back after.
    for (const call of [
      () => user.client.gmail.contactInsights.query({ workspaceId, contactId: restrictedRow!.id }),
      () => user.client.gmail.enrichContact.mutate({ workspaceId, contactId: restrictedRow!.id }),
    ])
      await expect(call()).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await user.client.gdpr.unrestrictContact.mutate({ workspaceId, contactId: restrictedRow!.id });
    const insights = await user.client.gmail.contactInsights.query({ workspaceId, contactId: restrictedRow!.id });
    expect(insights.totalEmails).toBeGreaterThan(0);
  });

  it("disconnect revokes the grant at Google, deletes the token and keeps contacts and interactions", async () => {
    const { email, workspaceId, connectionId, user } = await connect({ messages: 10 });
    await app.runtime.services.gmail.syncConnection(connectionId);
    const contactsBefore = await contactEmails(app, workspaceId);
    const interactionsBefore = await interactionCount(app, workspaceId);
    await user.client.gmail.disconnect.mutate({ workspaceId });
    expect(google.grants(email).every((grant) => grant.revoked)).toBe(true);
    expect(await app.query`SELECT 1 FROM gmail_connections WHERE id = ${connectionId}`).toHaveLength(0);
    expect(await app.query`SELECT 1 FROM gmail_revocations`).toHaveLength(0);
    expect(await contactEmails(app, workspaceId)).toEqual(contactsBefore);
    expect(await interactionCount(app, workspaceId)).toBe(interactionsBefore);
    expect(await user.client.gmail.status.query({ workspaceId })).toMatchObject({ connected: false });
  });

  it("another member sees only their own connection; a non-member sees nothing", async () => {
    const { workspaceId, user } = await connect({ messages: 2 });
    const colleague = await app.signUp("Colleague");
    await joinWorkspace(user, workspaceId, colleague);
    expect(await colleague.client.gmail.status.query({ workspaceId })).toMatchObject({ connected: false });
    await expect(colleague.client.gmail.syncNow.mutate({ workspaceId })).rejects.toMatchObject({
      data: { code: "NOT_FOUND" },
    });
    await expect(colleague.client.gmail.disconnect.mutate({ workspaceId })).rejects.toMatchObject({
      data: { code: "NOT_FOUND" },
    });
    const stranger = await app.signUp("Stranger");
    for (const call of [
      () => stranger.client.gmail.status.query({ workspaceId }),
      () => stranger.client.gmail.syncNow.mutate({ workspaceId }),
      () => stranger.client.gmail.authUrl.mutate({ workspaceId }),
    ]) {
      await expect(call()).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    }
    expect(await user.client.gmail.status.query({ workspaceId })).toMatchObject({ connected: true });
  });

  it("exports the connection without secrets and erases it (revoking the grant) with the account", async () => {
    const { email, user, connectionId, workspaceId } = await connect({ messages: 2 });
    await user.client.gmail.updateSettings.mutate({
      workspaceId,
      aliases: ["old@alias.example"],
      deleteWithMessages: true,
    });
    const handler = createPrivacyRegistry()
      .all()
      .find((h) => h.module === "gmail")!;
    const [file] = handler.exportUser!(user.userId);
    if (!file || file.single) throw new Error("expected a file of records");
    const records: Record<string, unknown>[] = [];
    for await (const page of file.pages(app.runtime.database.db, 100))
      records.push(...(JSON.parse(`[${page.json.toString("utf8")}]`) as Record<string, unknown>[]));
    expect(records).toEqual([
      expect.objectContaining({
        id: connectionId,
        googleEmail: email,
        status: "active",
        configuredAliases: ["old@alias.example"],
        deleteWithMessages: true,
      }),
    ]);
    expect(JSON.stringify(records)).not.toMatch(/sealed|token/i);

    await app.runtime.database.db.transaction(async (tx) => {
      await handler.eraseUser!(tx, user.userId, { operationId: randomUUID(), now: clock.now() });
    });
    expect(await app.query`SELECT 1 FROM gmail_connections WHERE id = ${connectionId}`).toHaveLength(0);
    await app.runtime.services.gmail.revokePending();
    expect(google.grants(email).every((grant) => grant.revoked)).toBe(true);
    expect(await app.query`SELECT 1 FROM gmail_revocations`).toHaveLength(0);
  });

  it("deleting the workspace revokes every member's grant at Google, not only deletes it", async () => {
    const first = await connect({ messages: 2 });
    const colleague = await app.signUp("Colleague With Mailbox");
    await joinWorkspace(first.user, first.workspaceId, colleague);
    const second = await connect({ messages: 2, user: colleague, workspaceId: first.workspaceId });
    // Another workspace of the same owner keeps its connection.
    const elsewhere = await connect({ messages: 2, user: first.user });
    const [workspace] = await app.query<{ name: string }>`SELECT name FROM workspaces WHERE id = ${first.workspaceId}`;
    const { deletionId } = await first.user.client.workspaces.requestDeletion.mutate({
      workspaceId: first.workspaceId,
      confirmation: workspace!.name,
    });
    await app.runtime.services.workspaceDeletion.execute(deletionId);
    expect(await app.query`SELECT 1 FROM gmail_connections WHERE workspace_id = ${first.workspaceId}`).toHaveLength(0);
    // Queued, outliving the cascade; the tick revokes them.
    expect(await app.query`SELECT 1 FROM gmail_revocations`).toHaveLength(2);
    await app.runtime.services.gmail.revokePending();
    for (const { email } of [first, second]) expect(google.grants(email).every((grant) => grant.revoked)).toBe(true);
    expect(await app.query`SELECT 1 FROM gmail_revocations`).toHaveLength(0);
    expect(google.grants(elsewhere.email).some((grant) => !grant.revoked)).toBe(true);
    expect(await first.user.client.gmail.status.query({ workspaceId: elsewhere.workspaceId })).toMatchObject({
      connected: true,
    });
  });
});

describe("schedule", () => {
  it("runs the first sync as a job, then queues the connection when due and syncs the new mail", async () => {
    const workerClock = new ManualClock(new Date());
    const worker = await createTestApp({ clock: workerClock, env: gmailTestEnv(google) });
    try {
      const { email, workspaceId, user } = await connect({ messages: 6, target: worker });
      const waitFor = async (done: (status: Awaited<ReturnType<typeof user.client.gmail.status.query>>) => boolean) => {
        const deadline = Date.now() + 20_000;
        let status = await user.client.gmail.status.query({ workspaceId });
        while (!done(status) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          status = await user.client.gmail.status.query({ workspaceId });
        }
        return status;
      };
      const first = await waitFor((s) => s.lastSyncAt !== null);
      expect(first.interactionsLogged).toBe(personal(email).length);
      expect(first.nextSyncInSec).toBeGreaterThanOrEqual(4.5 * 60);
      expect((await worker.runtime.services.gmail.runDue()).queued).toBe(0);

      google.mailbox(email).addMessages(2);
      workerClock.advance(6 * 60_000);
      expect((await worker.runtime.services.gmail.runDue()).queued).toBe(1);
      const second = await waitFor((s) => s.interactionsLogged === personal(email).length);
      expect(second.interactionsLogged).toBe(personal(email).length);
    } finally {
      await worker.close();
    }
  });
});

describe.each<TestDriver>(["pglite"])("on %s", (driver) => {
  it("connects and syncs", { timeout: 60_000 }, async () => {
    // Without Redis the queued first sync runs in the process right away.
    const embedded = await createTestApp({ driver, env: gmailTestEnv(google) });
    try {
      const { email, workspaceId, user, connectionId } = await connect({ messages: 15, target: embedded });
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && !(await user.client.gmail.status.query({ workspaceId })).lastSyncAt)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const status = await user.client.gmail.status.query({ workspaceId });
      expect(status, JSON.stringify(status)).toMatchObject({ lastError: null, status: "active" });
      expect(await contactEmails(embedded, workspaceId)).toEqual(google.mailbox(email).expectedContacts());
      expect(await interactionCount(embedded, workspaceId)).toBe(personal(email).length);
      // A message deleted in Gmail deletes its interaction when the connection asks for it.
      await user.client.gmail.updateSettings.mutate({ workspaceId, deleteWithMessages: true });
      google.mailbox(email).deleteMessage(personal(email)[0]!.id);
      await until("the deleted message's interaction gone", async () => {
        await embedded.runtime.services.gmail.syncConnection(connectionId);
        return (await interactionCount(embedded, workspaceId)) === personal(email).length;
      });
      await expectOneEmailWithThreeContacts(embedded);
    } finally {
      await embedded.close();
    }
  });
});
