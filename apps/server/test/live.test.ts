import { randomUUID } from "node:crypto";
import http from "node:http";
import type { ManualClock } from "@rapport/api";
import type { RapportClient } from "@rapport/client";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveItem } from "../../../packages/api/src/modules/activity/live-feed";
import { encodeBatchEndMessage } from "../../../packages/api/src/platform/events/commit-message";
import { createTestApp, type SignedInUser, type TestApp } from "./support/app";
import { joinWorkspace } from "./support/members";

type LiveInput = Parameters<RapportClient["activity"]["live"]["subscribe"]>[0];
interface LiveEvent {
  id: number;
  type: string;
  payload: Record<string, unknown>;
}

/** A live stream through the real tRPC client and EventSource, recording what it hears. */
function listen(client: RapportClient, input: LiveInput) {
  const events: LiveEvent[] = [];
  /** The SSE id of each event, as the client sends the last one back when it resumes. */
  const sseIds: string[] = [];
  const ready: (boolean | null)[] = [];
  let error: { code: string; message: string } | null = null;
  const subscription = client.activity.live.subscribe(input, {
    onData(data) {
      if ("kind" in data) {
        if (data.kind === "ready") ready.push(data.resumed);
      } else if (data.data.kind === "event") {
        events.push(data.data.event as LiveEvent);
        sseIds.push(data.id);
      }
      // After a reconnect EventSource repeats the last id on the untracked "ready": it comes wrapped.
      else if (data.data.kind === "ready") ready.push(data.data.resumed);
    },
    onError(cause) {
      error = { code: (cause.data as { code?: string } | undefined)?.code ?? "UNKNOWN", message: cause.message };
    },
  });
  const until = async (what: string, done: () => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return {
    events,
    sseIds,
    ready,
    get error() {
      return error;
    },
    until,
    whenReady: () => until("the stream to open", () => ready.length > 0 || error !== null),
    close: () => subscription.unsubscribe(),
  };
}

const settle = (ms = 400) => new Promise((resolve) => setTimeout(resolve, ms));

describe("activity.live across two instances sharing Postgres and Redis", () => {
  let a: TestApp;
  let b: TestApp;
  let owner: SignedInUser;
  let ownerOnB: RapportClient;
  let workspaceId: string;

  beforeAll(async () => {
    a = await createTestApp();
    b = await createTestApp({ instanceOf: a });
    owner = await a.signUp("Owner");
    ownerOnB = b.client(owner.accessToken);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Live" })).id;
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it("an event committed through instance A reaches a subscriber on instance B", async () => {
    const stream = listen(ownerOnB, { workspaceId });
    await stream.whenReady();
    expect(stream.ready).toEqual([null]);
    const contact = await owner.client.contacts.create.mutate({ workspaceId, name: "Ana Lima" });
    await stream.until("the contact's event", () => stream.events.some((e) => e.payload.contactId === contact.id));
    expect(stream.events.find((e) => e.payload.contactId === contact.id)?.type).toBe("contact.created");
    stream.close();
  });

  it("resumes on the other instance with exactly the missed events, in commit order, once each", async () => {
    const first = listen(owner.client, { workspaceId });
    await first.whenReady();
    const seen = await owner.client.contacts.create.mutate({ workspaceId, name: "Seen" });
    await first.until("the first event", () => first.events.some((e) => e.payload.contactId === seen.id));
    const lastEventId = first.events.at(-1)!.id;
    first.close();

    // 50 events while disconnected, committed concurrently (ids and commit order differ).
    for (let batch = 0; batch < 5; batch++)
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          owner.client.contacts.create.mutate({ workspaceId, name: `Missed ${batch * 10 + i}` }),
        ),
      );
    const missed = await a.query<{ id: string | number }>`
      SELECT id FROM domain_events
      WHERE workspace_id = ${workspaceId}
        AND (tx_id, id) > ((SELECT tx_id FROM domain_events WHERE id = ${lastEventId}), ${lastEventId}::bigint)
      ORDER BY tx_id, id`;
    expect(missed).toHaveLength(50);

    const resumed = listen(ownerOnB, { workspaceId, lastEventId: String(lastEventId) });
    await resumed.until("50 events", () => resumed.events.length >= 50);
    await settle();
    expect(resumed.ready).toEqual([true]);
    expect(resumed.events.map((e) => e.id)).toEqual(missed.map((row) => Number(row.id)));

    // And the stream goes on live after its backlog, without repeating any of it.
    const next = await owner.client.contacts.create.mutate({ workspaceId, name: "After" });
    await resumed.until("the live event", () => resumed.events.some((e) => e.payload.contactId === next.id));
    await settle();
    expect(resumed.events).toHaveLength(51);
    resumed.close();
  });

  it("resumes after a personal event (a notification) with the workspace's and the user's own missed events", async () => {
    const member = await a.signUp("Notified");
    await joinWorkspace(owner, workspaceId, member);
    const first = listen(member.client, { workspaceId });
    await first.whenReady();
    await owner.client.workspaces.setRole.mutate({ workspaceId, userId: member.userId, role: "admin" });
    // Every notice of the member heard first: recipients are found when an event is processed,
    // so the member, an admin by then, may also be told of their own joining, and that notice
    // can come after the role change's.
    expect(await a.runtime.dispatcher.drain()).toBe(true);
    expect(await b.runtime.dispatcher.drain()).toBe(true);
    const notices = await a.query<{ id: string | number }>`
      SELECT id FROM domain_events WHERE type = 'notification.created' AND payload->>'userId' = ${member.userId}`;
    expect(notices.length).toBeGreaterThan(0);
    await first.until("the member's notifications", () =>
      notices.every((notice) => first.events.some((e) => e.id === Number(notice.id))),
    );
    await settle();
    const last = first.events.at(-1)!;
    expect(last.type).toBe("notification.created");
    first.close();

    const contact = await owner.client.contacts.create.mutate({ workspaceId, name: "While away" });
    await owner.client.workspaces.setRole.mutate({ workspaceId, userId: member.userId, role: "member" });
    const resumed = listen(b.client(member.accessToken), { workspaceId, lastEventId: String(last.id) });
    await resumed.until("the missed notification", () => resumed.events.some((e) => e.type === "notification.created"));
    expect(resumed.ready).toEqual([true]);
    const types = resumed.events.map((e) => e.type);
    expect(types).toContain("contact.created");
    expect(resumed.events.find((e) => e.type === "contact.created")?.payload.contactId).toBe(contact.id);
    expect(types.indexOf("member.role_changed")).toBeLessThan(types.indexOf("notification.created"));
    resumed.close();
  });

  it("says resumed: false for an id older than the window (24 h and 10,000 events)", async () => {
    const [oldest] = await a.query<{ id: string | number }>`
      SELECT id FROM domain_events WHERE workspace_id = ${workspaceId} ORDER BY id LIMIT 1`;
    const clock = b.clock as ManualClock;
    clock.advance(25 * 60 * 60 * 1000);
    const fresh = await b.signIn(owner);

    // Older than 24 h but fewer than 10,000 events behind: still resumed.
    const within = listen(fresh.client, { workspaceId, lastEventId: String(oldest!.id) });
    await within.whenReady();
    expect(within.ready).toEqual([true]);
    within.close();

    await a.sql`
      INSERT INTO domain_events (workspace_id, type, payload)
      SELECT ${workspaceId}, 'contact.updated', jsonb_build_object('contactId', gen_random_uuid(), 'fields', '[]'::jsonb)
      FROM generate_series(1, 10001)`;
    const beyond = listen(fresh.client, { workspaceId, lastEventId: String(oldest!.id) });
    await beyond.whenReady();
    await settle();
    expect(beyond.ready).toEqual([false]);
    expect(beyond.events).toEqual([]); // nothing replayed: the client refetches instead
    beyond.close();

    const unknown = listen(fresh.client, { workspaceId, lastEventId: "999999999" });
    await unknown.whenReady();
    expect(unknown.ready).toEqual([false]);
    unknown.close();
  });

  it("refuses non-members, filters admin-only events by role and closes a removed member's stream", async () => {
    // B's clock ran ahead (the window test): users streaming on B sign up there.
    const outsider = await b.signUp("Outsider");
    const refused = listen(b.client(outsider.accessToken), { workspaceId });
    await refused.whenReady();
    expect(refused.error?.code).toBe("NOT_FOUND");

    const member = await b.signUp("Member");
    await joinWorkspace(owner, workspaceId, member, "member");
    const memberStream = listen(b.client(member.accessToken), { workspaceId });
    const ownerStream = listen((await b.signIn(owner)).client, { workspaceId });
    await Promise.all([memberStream.whenReady(), ownerStream.whenReady()]);

    const invited = await b.signUp("Invited");
    await owner.client.invitations.invite.mutate({ workspaceId, email: invited.email, role: "member" });
    const contact = await owner.client.contacts.create.mutate({ workspaceId, name: "Shared" });
    await memberStream.until("the contact", () => memberStream.events.some((e) => e.payload.contactId === contact.id));
    await ownerStream.until("the contact", () => ownerStream.events.some((e) => e.payload.contactId === contact.id));
    expect(ownerStream.events.map((e) => e.type)).toContain("invitation.created");
    expect(memberStream.events.map((e) => e.type)).not.toContain("invitation.created");

    await owner.client.workspaces.removeMember.mutate({ workspaceId, userId: member.userId });
    await memberStream.until("the stream to close", () => memberStream.error !== null);
    expect(memberStream.error!.code).toBe("UNAUTHORIZED");
    await ownerStream.until("the removal", () => ownerStream.events.some((e) => e.type === "member.removed"));
    expect(ownerStream.error).toBeNull();
    ownerStream.close();
  });

  it("closes the streams of a session ended from another one (signed out, or by a password change) on any instance, and no other", async () => {
    const person = await a.signUp("Many Devices");
    const ws = (await person.client.workspaces.create.mutate({ name: "Devices" })).id;
    const [phone, tablet] = [await b.signIn(person), await b.signIn(person)];
    const phoneStream = listen(phone.client, { workspaceId: ws });
    const tabletStream = listen(tablet.client, { workspaceId: ws });
    const ownStream = listen(person.client, { workspaceId: ws });
    await Promise.all([phoneStream.whenReady(), tabletStream.whenReady(), ownStream.whenReady()]);
    const phoneSession = (await phone.client.auth.sessions.query()).find((session) => session.current)!;

    // Ended through instance A; the phone's stream is on B, long before its token expires.
    await person.client.auth.revokeSession.mutate({ sessionId: phoneSession.id });
    await phoneStream.until("the phone's stream to close", () => phoneStream.error !== null);
    expect(phoneStream.error!.code).toBe("UNAUTHORIZED");
    await ownStream.until("the news", () => ownStream.events.some((e) => e.type === "user.sessions_ended"));
    expect(tabletStream.error).toBeNull();
    expect(ownStream.error).toBeNull();

    await person.client.auth.changePassword.mutate({
      currentPassword: person.password,
      newPassword: "devices all change now",
    });
    await tabletStream.until("the tablet's stream to close", () => tabletStream.error !== null);
    expect(tabletStream.error!.code).toBe("UNAUTHORIZED");
    await ownStream.until(
      "the second news",
      () => ownStream.events.filter((e) => e.type === "user.sessions_ended").length === 2,
    );
    expect(ownStream.error).toBeNull();
    ownStream.close();
  });

  it("refuses an ended session's token on every instance at once, not when the instance's session cache lets go of it", async () => {
    const person = await a.signUp("Signs Out");
    const laptop = await b.signIn(person);
    // B has just confirmed the session: it would trust it for the cache's 5 s without news of its end.
    await laptop.client.auth.sessions.query();
    await a.client(laptop.accessToken).auth.logout.mutate();
    expect(await refusedWithin(() => laptop.client.auth.sessions.query(), 1_500)).toBe("UNAUTHORIZED");
    // The person's other session is untouched.
    await expect(person.client.auth.sessions.query()).resolves.toHaveLength(1);
  });

  it("a reused refresh token ends its session everywhere: the stream on the other instance closes and its token is refused there at once", async () => {
    const person = await a.signUp("Stolen Token");
    const ws = (await person.client.workspaces.create.mutate({ name: "Stolen" })).id;
    // Rotated through B, whose clock signs the access token used there (earlier tests move the instances' clocks apart).
    const rotated = await b.client().auth.refresh.mutate({ refreshToken: person.refreshToken });
    const onB = b.client(rotated.accessToken);
    const stream = listen(onB, { workspaceId: ws });
    await stream.whenReady();
    await onB.auth.sessions.query();
    // The rotated-out token presented again: replay or theft.
    await expect(a.client().auth.refresh.mutate({ refreshToken: person.refreshToken })).rejects.toMatchObject({
      data: { code: "UNAUTHORIZED" },
    });
    await stream.until("the stream to close", () => stream.error !== null);
    expect(stream.error!.code).toBe("UNAUTHORIZED");
    expect(await refusedWithin(() => onB.auth.sessions.query(), 1_500)).toBe("UNAUTHORIZED");
  });

  it("closes a stream when its access token expires", async () => {
    const user = await b.signUp("Expiring");
    const ws = (await user.client.workspaces.create.mutate({ name: "Expiry" })).id;
    const stream = listen(user.client, { workspaceId: ws });
    await stream.whenReady();
    (b.clock as ManualClock).advance(16 * 60 * 1000);
    await stream.until("the stream to close", () => stream.error !== null);
    expect(stream.error!.code).toBe("UNAUTHORIZED");
  });
});

describe.each(["postgres", "pglite"] as const)("activity.live's token (%s)", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let workspaceId: string;
  beforeAll(async () => {
    app = await createTestApp({ driver });
    owner = await app.signUp("Token owner");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Token" })).id;
  });
  afterAll(() => app?.close());

  it("closes the streams of a session that signs out, and only those", async () => {
    const tab = await app.signIn(owner);
    const signingOut = listen(tab.client, { workspaceId });
    const staying = listen(owner.client, { workspaceId });
    await Promise.all([signingOut.whenReady(), staying.whenReady()]);
    await tab.client.auth.logout.mutate();
    await signingOut.until("the stream to close", () => signingOut.error !== null);
    expect(signingOut.error!.code).toBe("UNAUTHORIZED");
    await staying.until("the news", () => staying.events.some((e) => e.type === "user.sessions_ended"));
    expect(staying.events.find((e) => e.type === "user.sessions_ended")?.payload.reason).toBe("logged_out");
    expect(staying.error).toBeNull();
    staying.close();
  });

  it("takes the token from the Authorization header only: one in the URL, where access logs keep it, opens nothing", async () => {
    const url = new URL(`${app.url}/trpc/activity.live`);
    url.searchParams.set("input", JSON.stringify({ workspaceId }));
    url.searchParams.set("connectionParams", JSON.stringify({ token: owner.accessToken }));
    const firstMessages = (headers: Record<string, string>) =>
      new Promise<string>((resolve, reject) =>
        http
          .get(url, { headers: { accept: "text/event-stream", ...headers } }, (response) => {
            let text = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => {
              text += chunk;
              if (text.includes("serialized-error") || text.includes('"kind":"ready"')) {
                response.destroy();
                resolve(text);
              }
            });
            response.on("end", () => resolve(text));
          })
          .on("error", reject),
      );
    const inUrl = await firstMessages({});
    expect(inUrl).toContain("event: serialized-error");
    expect(inUrl).toContain('"code":"UNAUTHORIZED"');
    expect(await firstMessages({ authorization: `Bearer ${owner.accessToken}` })).toContain('"kind":"ready"');
  });
});

describe("activity.live with a client that stops reading", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ env: { LIVE_STREAM_BUFFER: "50", LIVE_STREAMS_PER_USER: "2" } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("drops the slow stream with a bounded queue, and the client resumes the rest from its last id", async () => {
    const owner = await app.signUp("Slow reader");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Slow" })).id;

    let received = "";
    const response = await openRawStream(app, owner.accessToken, workspaceId);
    response.setEncoding("utf8");
    const ended = new Promise<void>((resolve) => {
      response.on("close", resolve);
      response.on("end", resolve);
    });
    response.on("data", (chunk: string) => {
      received += chunk;
      // Read up to the first event, then stop reading altogether.
      if (/^id: [\d:,]+\n/m.test(received)) response.pause();
    });
    const deadline = Date.now() + 5_000;
    while (!received.includes('"kind":"ready"') && Date.now() < deadline) await settle(20);
    await owner.client.contacts.create.mutate({ workspaceId, name: "Before" });
    while (!/^id: [\d:,]+\n/m.test(received) && Date.now() < deadline) await settle(20);

    const total = 8_000;
    await insertLargeEvents(app, workspaceId, total);
    app.runtime.dispatcher.wake();

    const until = Date.now() + 20_000;
    while (app.runtime.services.liveFeed.stats().streams > 0 && Date.now() < until) await settle(50);
    const stats = app.runtime.services.liveFeed.stats();
    expect(stats.streams).toBe(0); // dropped
    expect(stats.peakQueued).toBeLessThanOrEqual(50); // never buffered more than the limit

    response.resume();
    await ended;
    const sseIds = [...received.matchAll(/^id: ([\d:,]+)\n/gm)].map((match) => match[1]!);
    // A plain id is the event's own; "Before", sent from its commit ahead of the read, ends its id.
    const ids = sseIds.map((id) => Number(id.split(/[:,]/).at(-1)));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThan(total);

    // Reconnecting with the last id it got delivers exactly the rest, in commit order. (The first
    // stream may also have begun before "Before": a new stream starts at the newest event visible
    // to every transaction, so on a loaded server it can include events committed just before it opened.)
    const all = (
      await app.sql<
        { id: string }[]
      >`SELECT id FROM domain_events WHERE workspace_id = ${workspaceId} ORDER BY tx_id, id`
    ).map((row) => Number(row.id));
    const rest = all.slice(all.indexOf(ids.at(-1)!) + 1);
    expect(rest.length).toBeGreaterThanOrEqual(total + 1 - ids.length);
    const resumed = listen(owner.client, { workspaceId, lastEventId: sseIds.at(-1) ?? "0" });
    await resumed.until("the rest", () => resumed.events.length >= rest.length, 60_000);
    await settle();
    // Resumed (and, if the loaded host made the client reconnect again, resumed each time).
    expect(resumed.ready.length).toBeGreaterThan(0);
    expect(resumed.ready.every((r) => r === true)).toBe(true);
    // Every one exactly once between the two connections.
    expect(resumed.events.map((e) => e.id)).toEqual(rest);
    expect(new Set([...ids, ...rest]).size).toBe(ids.length + rest.length);
    resumed.close();
  }, 90_000);

  it("caps open streams per user", async () => {
    const user = await app.signUp("Many tabs");
    const workspaceId = (await user.client.workspaces.create.mutate({ name: "Tabs" })).id;
    const streams = [listen(user.client, { workspaceId }), listen(user.client, { workspaceId })];
    await Promise.all(streams.map((s) => s.whenReady()));
    const third = listen(user.client, { workspaceId });
    await third.whenReady();
    expect(third.error?.code).toBe("TOO_MANY_REQUESTS");
    for (const s of streams) s.close();
  });
});

describe("activity.live with a client that falls behind in time", () => {
  let app: TestApp;
  beforeAll(async () => {
    // The count limit out of reach: only the lag can drop the stream.
    app = await createTestApp({ env: { LIVE_STREAM_MAX_LAG_MS: "1500", LIVE_STREAM_BUFFER: "100000" } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("drops a stream whose oldest undelivered event is older than the lag limit", async () => {
    const owner = await app.signUp("Late reader");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Late" })).id;
    let received = "";
    const response = await openRawStream(app, owner.accessToken, workspaceId);
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      received += chunk;
      if (received.includes('"kind":"ready"')) response.pause(); // and read nothing more
    });
    const deadline = Date.now() + 5_000;
    while (!received.includes('"kind":"ready"') && Date.now() < deadline) await settle(20);

    // More than the socket buffers hold, so the rest waits in the stream's queue...
    const burst = () => insertLargeEvents(app, workspaceId, 6_000);
    await burst();
    app.runtime.dispatcher.wake();
    await settle(2_500);
    // ...where nothing is dropped for its length; 2.5 s later its oldest event is past the lag limit.
    expect(app.runtime.services.liveFeed.stats().streams).toBe(1);
    await burst();
    app.runtime.dispatcher.wake();
    const until = Date.now() + 10_000;
    while (app.runtime.services.liveFeed.stats().streams > 0 && Date.now() < until) await settle(50);
    expect(app.runtime.services.liveFeed.stats().streams).toBe(0);
    expect(app.runtime.services.liveFeed.stats().peakQueued).toBeLessThan(12_000);
    response.destroy();
  }, 60_000);

  it("keeps a client that stops reading for less than the lag limit, and sends it everything, in order, once it reads again", async () => {
    const owner = await app.signUp("Brief pause");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Pause" })).id;
    const chunks: string[] = [];
    let ready = false;
    const response = await openRawStream(app, owner.accessToken, workspaceId);
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      chunks.push(chunk);
      if (!ready && chunks.join("").includes('"kind":"ready"')) {
        ready = true;
        response.pause();
      }
    });
    const deadline = Date.now() + 5_000;
    while (!ready && Date.now() < deadline) await settle(20);

    // More than the socket buffers hold: the server's socket fills, the rest waits in the stream's queue.
    await insertLargeEvents(app, workspaceId, 6_000);
    app.runtime.dispatcher.wake();
    await settle(500);
    // Nothing has reached the client: every event waits, in the socket or the stream's queue.
    expect(chunks.join("")).not.toMatch(/^id: /m);
    response.resume(); // well within the 1.5 s lag limit

    const until = Date.now() + 20_000;
    const received = () => chunks.join("");
    while ((received().match(/^id: /gm)?.length ?? 0) < 6_000 && Date.now() < until) await settle(250);
    expect(app.runtime.services.liveFeed.stats().streams).toBe(1); // never dropped
    const all = (
      await app.sql<
        { id: string }[]
      >`SELECT id FROM domain_events WHERE workspace_id = ${workspaceId} AND type = 'contact.updated' ORDER BY tx_id, id`
    ).map((row) => Number(row.id));
    const ids = [...received().matchAll(/^id: ([\d:,]+)\n/gm)].map((match) => Number(match[1]!.split(/[:,]/).at(-1)));
    expect(ids).toEqual(all);
    response.destroy();
  }, 60_000);
});

describe("activity.live with an older transaction still open", () => {
  let app: TestApp;
  beforeAll(async () => {
    // The dispatcher's poll (and so the relay's broadcast) and the feed's safety read out of the
    // picture: what delivers is the feed reading again after the commit it was told of.
    app = await createTestApp({ env: { EVENT_POLL_MS: "60000", LIVE_SAFETY_READ_MS: "60000" } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("delivers an event it holds back (its commit did not name it) as soon as it ends, without waiting for another commit", async () => {
    const owner = await app.signUp("Held back");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Held back" })).id;
    const stream = listen(owner.client, { workspaceId });
    await stream.whenReady();
    // An older transaction with an xid: the contact's event, committed after it started, stays
    // above the outbox's horizon (unreadable in commit order) until it ends.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const older = app.sql.begin(async (tx) => {
      await tx`SELECT pg_current_xact_id()`;
      holding();
      await released;
    });
    await held;
    const contact = { id: await commitUnnamed(app, app, workspaceId) };
    await settle(300);
    expect(stream.events.some((e) => e.payload.contactId === contact.id)).toBe(false);
    // A hold that lasts: the feed reads again less and less often (20 ms apart while young,
    // then doubling to 250 ms), not 50 times a second for as long as it lasts.
    const readsBefore = app.runtime.services.liveFeed.stats().outboxReads;
    await settle(1_000);
    expect(app.runtime.services.liveFeed.stats().outboxReads - readsBefore).toBeLessThanOrEqual(8);
    expect(stream.events.some((e) => e.payload.contactId === contact.id)).toBe(false);
    release();
    await older;
    const endedAt = Date.now();
    await stream.until("the held-back event", () => stream.events.some((e) => e.payload.contactId === contact.id));
    expect(Date.now() - endedAt).toBeLessThan(1_000);
    stream.close();
  });
});

describe("activity.live on two instances with only the feeds' own reads", () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    // No poll, relay broadcast or safety read to deliver it: only the feed's own reads.
    const env = { EVENT_POLL_MS: "60000", LIVE_SAFETY_READ_MS: "60000" };
    a = await createTestApp({ env });
    b = await createTestApp({ instanceOf: a, env });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /** A new owner's workspace, with a stream of it on the writing instance (a) and one on the other (b). */
  async function streamsOnBoth(name: string) {
    const owner = await a.signUp(name);
    const workspaceId = (await owner.client.workspaces.create.mutate({ name })).id;
    const streams = [
      listen(owner.client, { workspaceId }),
      listen(b.client(owner.accessToken), { workspaceId }),
    ] as const;
    await Promise.all(streams.map((stream) => stream.whenReady()));
    return { owner, workspaceId, streams };
  }

  it("reads again as soon as the batch's end is announced, not at its next retry", async () => {
    const owner = await a.signUp("Batch");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Batch" })).id;
    const stream = listen(b.client(owner.accessToken), { workspaceId });
    await stream.whenReady();
    // Stands for a batch's transaction: an xid taken before the contact's, ended after it.
    const batch = await holdOlderTransaction(a);
    const contact = { id: await commitUnnamed(a, b, workspaceId) };
    const arrived = () => stream.events.some((e) => e.payload.contactId === contact.id);
    // Long enough for b's retries to be 250 ms apart; then just after one of them.
    await settle(600);
    expect(arrived()).toBe(false);
    const feed = b.runtime.services.liveFeed;
    const reads = feed.stats().outboxReads;
    await stream.until("a retry", () => feed.stats().outboxReads > reads, 2_000);
    await settle(20);
    await batch.end();
    const announcedAt = Date.now();
    await a.runtime.redis!.command.publish(
      `${a.runtime.config.REDIS_PREFIX}batch-ends`,
      encodeBatchEndMessage(batch.txId, "another instance"),
    );
    await stream.until("the held-back event", arrived);
    // The next retry was ~230 ms away.
    expect(Date.now() - announcedAt).toBeLessThan(150);
    stream.close();
  });

  it("delivers a later commit's event before the older transaction ends; a client leaving then resumes with the older event once, on either instance", async () => {
    const {
      owner,
      workspaceId,
      streams: [onA, onB],
    } = await streamsOnBoth("Ahead");
    // An older transaction that writes an event of the workspace and stays open.
    const olderContactId = randomUUID();
    const older = await holdOlderTransaction(
      a,
      (tx) => tx`
        INSERT INTO domain_events (workspace_id, type, payload)
        VALUES (${workspaceId}, 'contact.updated', jsonb_build_object('contactId', ${olderContactId}::text, 'fields', '[]'::jsonb))`,
    );
    const later = await owner.client.contacts.create.mutate({ workspaceId, name: "Later" });
    const has = (stream: ReturnType<typeof listen>, contactId: string) =>
      stream.events.filter((e) => e.payload.contactId === contactId).length;
    await onA.until("the later event on A", () => has(onA, later.id) === 1, 5_000);
    await onB.until("the later event on B", () => has(onB, later.id) === 1, 5_000);
    expect(has(onA, olderContactId) + has(onB, olderContactId)).toBe(0);
    const lastIds = [onA.sseIds.at(-1)!, onB.sseIds.at(-1)!];
    onA.close();
    onB.close();

    await older.end();
    const after = await owner.client.contacts.create.mutate({ workspaceId, name: "After" });
    // Each stream's last id resumed on the other instance and on its own.
    for (const lastEventId of lastIds)
      for (const app of [a, b]) {
        const resumed = listen(app.client(owner.accessToken), { workspaceId, lastEventId });
        await resumed.until("the events after", () => has(resumed, after.id) === 1);
        await settle(200);
        expect(resumed.ready).toEqual([true]);
        const contacts = resumed.events.map((e) => e.payload.contactId);
        expect(contacts.filter((id) => id === olderContactId || id === later.id || id === after.id)).toEqual([
          olderContactId,
          after.id,
        ]);
        resumed.close();
      }
  });

  it("sends nothing ahead of a committed transaction whose wake-up did not name its events", async () => {
    const {
      owner,
      workspaceId,
      streams: [onA, onB],
    } = await streamsOnBoth("In order");
    const older = await holdOlderTransaction(a);
    // Committed, but held back from the reads; both instances hear only its transaction id
    // (as for a bulk write). The change after it must not arrive before it.
    const first = await commitUnnamed(a, b, workspaceId);
    await settle(100);
    const then = await owner.client.contacts.create.mutate({ workspaceId, name: "Then" });
    await settle(300);
    for (const stream of [onA, onB]) expect(stream.events.map((e) => e.payload.contactId)).not.toContain(then.id);
    await older.end();
    for (const stream of [onA, onB]) {
      await stream.until("both events", () => stream.events.some((e) => e.payload.contactId === then.id));
      const contacts = stream.events.map((e) => e.payload.contactId);
      expect(contacts.filter((id) => id === first || id === then.id)).toEqual([first, then.id]);
      stream.close();
    }
  });

  it("once a stream has sent as many ahead as its id carries, sends nothing more ahead until the reads pass what it left to them", async () => {
    const owner = await a.signUp("Bounded");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Bounded" })).id;
    // Commits here only make the feed read (200 ms after each): nobody streams it.
    const elsewhere = (await owner.client.workspaces.create.mutate({ name: "Elsewhere" })).id;
    const stream = listen(owner.client, { workspaceId });
    await stream.whenReady();
    const create = async (workspace: string, name: string) =>
      (await owner.client.contacts.create.mutate({ workspaceId: workspace, name })).id;
    // Its contacts only: a new stream starts at its feed's position, which can be before this
    // workspace's creation (when the feed has not read it yet), whose two events then come first.
    const contacts = () => stream.events.filter((e) => e.type === "contact.created").map((e) => e.payload.contactId);
    const first = await holdOlderTransaction(a);
    for (let i = 0; i < 64; i++) await create(workspaceId, `Ahead ${i}`);
    await stream.until("64 events sent ahead", () => contacts().length >= 64);
    const second = await holdOlderTransaction(a);
    const left = await create(workspaceId, "Left to the reads");
    await first.end();
    // A read now passes the 64 sent ahead, not the one left to it: the second transaction holds it.
    await create(elsewhere, "A read");
    await settle(300);
    const next = await create(workspaceId, "Next");
    await settle(300);
    expect(contacts()).not.toContain(left);
    expect(contacts()).not.toContain(next);
    await second.end();
    await create(elsewhere, "Another read");
    await stream.until("the rest", () => contacts().includes(next));
    expect(contacts().slice(64)).toEqual([left, next]);
    stream.close();
  });

  it("reads again on its own once the hold on what it sent ahead ends, delivering what a stream left to the reads", async () => {
    const owner = await a.signUp("Retry");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Retry" })).id;
    const stream = listen(owner.client, { workspaceId });
    await stream.whenReady();
    const create = async (name: string) => (await owner.client.contacts.create.mutate({ workspaceId, name })).id;
    const older = await holdOlderTransaction(a);
    for (let i = 0; i < 64; i++) await create(`Ahead ${i}`);
    await stream.until("64 events sent ahead", () => stream.events.length >= 64);
    const left = await create("Left to the reads");
    await settle(200);
    expect(stream.events.map((e) => e.payload.contactId)).not.toContain(left);
    // Its end is not announced and nothing else commits: only the feed's own retries find it.
    await older.end();
    await stream.until(
      "the event left to the reads",
      () => stream.events.some((e) => e.payload.contactId === left),
      2_000,
    );
    stream.close();
  });

  it("sends ahead again, in the order heard, as soon as the reads pass the commit it waited for, though another transaction stays open", async () => {
    const { owner, workspaceId, streams } = await streamsOnBoth("Gate");
    const contacts = (stream: ReturnType<typeof listen>) => stream.events.map((e) => e.payload.contactId);
    const create = async (name: string) => (await owner.client.contacts.create.mutate({ workspaceId, name })).id;
    const first = await holdOlderTransaction(a);
    const unnamed = await commitUnnamed(a, b, workspaceId);
    // Begun after the unnamed commit: it holds back only what commits after it.
    const second = await holdOlderTransaction(a);
    const then = await create("Then");
    await settle(200);
    for (const stream of streams) expect(contacts(stream)).not.toContain(then);
    await first.end();
    for (const stream of streams) {
      await stream.until("the unnamed commit, then what waited for it", () => contacts(stream).includes(then), 3_000);
      expect(contacts(stream).filter((id) => id === unnamed || id === then)).toEqual([unnamed, then]);
    }
    const next = await create("Next");
    for (const stream of streams)
      await stream.until("the next commit, sent ahead", () => contacts(stream).includes(next), 3_000);
    await second.end();
    for (const stream of streams) stream.close();
  });

  it("keeps a stream's newest role when the read brings an older role change after it", async () => {
    const owner = await a.signUp("Roles");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Roles" })).id;
    const elsewhere = (await owner.client.workspaces.create.mutate({ name: "Roles elsewhere" })).id;
    const member = await a.signUp("Promoted, then not");
    await joinWorkspace(owner, workspaceId, member, "member");
    const stream = listen(a.client(member.accessToken), { workspaceId });
    await stream.whenReady();
    const setRole = (role: "admin" | "member") =>
      owner.client.workspaces.setRole.mutate({ workspaceId, userId: member.userId, role });
    const first = await holdOlderTransaction(a);
    await setRole("admin");
    const second = await holdOlderTransaction(a);
    await setRole("member");
    await stream.until(
      "both role changes",
      () => stream.events.filter((e) => e.type === "member.role_changed").length === 2,
    );
    await first.end();
    // A read now passes the promotion, not the demotion the stream already applied.
    await owner.client.contacts.create.mutate({ workspaceId: elsewhere, name: "A read" });
    await settle(300);
    // Admin-only: not for a member.
    await owner.client.invitations.invite.mutate({ workspaceId, email: "invited-after@example.com", role: "member" });
    await settle(300);
    expect(stream.events.map((e) => e.type)).not.toContain("invitation.created");
    await second.end();
    stream.close();
  });

  it("ends a removed member's stream from the removal's wake-up, before anything committed after it", async () => {
    const owner = await a.signUp("Removal");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Removal" })).id;
    const member = await a.signUp("Removed member");
    await joinWorkspace(owner, workspaceId, member, "member");
    // It shows only new contacts, not the removal itself.
    const streams = [a, b].map((app) =>
      listen(app.client(member.accessToken), { workspaceId, types: ["contact.created"] }),
    );
    await Promise.all(streams.map((stream) => stream.whenReady()));
    await owner.client.workspaces.removeMember.mutate({ workspaceId, userId: member.userId });
    const after = await owner.client.contacts.create.mutate({ workspaceId, name: "After the removal" });
    for (const stream of streams) {
      await stream.until("the stream to close", () => stream.error !== null);
      expect(stream.error!.code).toBe("UNAUTHORIZED");
    }
    await settle(300);
    for (const stream of streams) expect(stream.events.map((e) => e.payload.contactId)).not.toContain(after.id);
  });

  it("refuses a last event id whose transaction id no transaction can have, as bad input", async () => {
    const owner = await a.signUp("Bad id");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Bad id" })).id;
    for (const lastEventId of ["18446744073709551616:1", "99999999999999999999:1:2,3"]) {
      const stream = listen(owner.client, { workspaceId, lastEventId });
      await stream.until("the refusal", () => stream.error !== null);
      expect(stream.error!.code).toBe("BAD_REQUEST");
    }
    const valid = listen(owner.client, { workspaceId, lastEventId: "18446744073709551615:1" });
    await valid.whenReady();
    expect(valid.error).toBeNull();
    // Not an event this stream can resume after: a gap, said as such.
    expect(valid.ready).toEqual([false]);
    valid.close();
  });
});

describe("activity.live on the embedded database without Redis", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ driver: "pglite" });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("delivers committed events and resumes in one process", async () => {
    const owner = await app.signUp("Embedded");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Embedded" })).id;
    const stream = listen(owner.client, { workspaceId });
    await stream.whenReady();
    const contact = await owner.client.contacts.create.mutate({ workspaceId, name: "Local" });
    await stream.until("the event", () => stream.events.some((e) => e.payload.contactId === contact.id));
    const lastEventId = stream.events.at(-1)!.id;
    stream.close();
    await owner.client.contacts.update.mutate({ workspaceId, contactId: contact.id, patch: { company: "Acme" } });
    const resumed = listen(owner.client, { workspaceId, lastEventId: String(lastEventId) });
    await resumed.until("the missed update", () => resumed.events.length >= 1);
    await settle();
    expect(resumed.ready).toEqual([true]);
    expect(resumed.events.map((e) => e.type)).toEqual(["contact.updated"]);
    resumed.close();
  });
});

/**
 * A contact.updated event committed by a writer that names only its transaction, not the
 * events (as one whose events are too many for the wake-up): the feeds must read it from the
 * outbox. Written through `writer`'s database, heard by `reader` (over Redis if it is another).
 */
/** The code of the first refusal of `call`, tried every 25 ms for `ms` (null: it kept answering). */
async function refusedWithin(call: () => Promise<unknown>, ms: number): Promise<string | null> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const refusal = await call().then(
      () => null,
      (error: { data?: { code?: string } }) => error.data?.code ?? "no code",
    );
    if (refusal) return refusal;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return null;
}

async function commitUnnamed(writer: TestApp, reader: TestApp, workspaceId: string): Promise<string> {
  const contactId = randomUUID();
  const [row] = await writer.sql<{ tx_id: string }[]>`
    INSERT INTO domain_events (workspace_id, type, payload)
    VALUES (${workspaceId}, 'contact.updated', jsonb_build_object('contactId', ${contactId}::text, 'fields', '[]'::jsonb))
    RETURNING pg_current_xact_id()::text AS tx_id`;
  if (writer === reader) reader.runtime.services.liveFeed.onCommit({ txId: row!.tx_id, events: null });
  else
    await writer.runtime.redis!.command.publish(
      `${writer.runtime.config.REDIS_PREFIX}commits`,
      `${row!.tx_id}|another instance|`,
    );
  return contactId;
}

/** An open transaction holding an xid (so the outbox's horizon), after `write` if given, until `end`. */
async function holdOlderTransaction(
  app: TestApp,
  write?: (tx: postgres.TransactionSql) => Promise<unknown>,
): Promise<{ txId: string; end(): Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let holding!: (txId: string) => void;
  const held = new Promise<string>((resolve) => (holding = resolve));
  const transaction = app.sql.begin(async (tx) => {
    await write?.(tx);
    const [row] = await tx<{ tx_id: string }[]>`SELECT pg_current_xact_id()::text AS tx_id`;
    holding(row!.tx_id);
    await released;
  });
  return {
    txId: await held,
    end: async () => {
      release();
      await transaction;
    },
  };
}

/** A raw SSE request for the workspace's live stream, so a test can stop reading it. */
function openRawStream(app: TestApp, token: string, workspaceId: string): Promise<http.IncomingMessage> {
  const url = new URL(`${app.url}/trpc/activity.live`);
  url.searchParams.set("input", JSON.stringify({ workspaceId }));
  return new Promise((resolve, reject) =>
    http
      .get(url, { headers: { accept: "text/event-stream", authorization: `Bearer ${token}` } }, resolve)
      .on("error", reject),
  );
}

/** `count` committed events of ~2 KB each: far more than the socket buffers between server and client hold. */
async function insertLargeEvents(app: TestApp, workspaceId: string, count: number): Promise<void> {
  const filler = "x".repeat(2_000);
  await app.sql`
    INSERT INTO domain_events (workspace_id, type, payload)
    SELECT ${workspaceId}, 'contact.updated',
           jsonb_build_object('contactId', gen_random_uuid(), 'fields', jsonb_build_array(${filler}::text, n))
    FROM generate_series(1, ${count}) AS n`;
}

describe.each(["postgres", "pglite"] as const)("activity.live after a burst sent ahead (%s)", (driver) => {
  let app: TestApp;
  beforeAll(async () => {
    // Only the burst can make the feed read: no poll, no safety read, the timed read a minute away.
    app = await createTestApp({
      driver,
      env: { EVENT_POLL_MS: "60000", LIVE_SAFETY_READ_MS: "60000", LIVE_SENT_AHEAD_READ_MS: "60000" },
    });
  });
  afterAll(() => app.close());

  it("reads at once after 32 events sent ahead rather than after the read's delay, so the streams' ids stay short", async () => {
    const owner = await app.signUp("Burst");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Burst" })).id;
    const stream = listen(owner.client, { workspaceId });
    await stream.whenReady();
    for (let i = 0; i < 40; i++) await owner.client.contacts.create.mutate({ workspaceId, name: `Burst ${i}` });
    await stream.until("the burst", () => stream.events.length >= 40);
    await settle(200);
    await owner.client.contacts.create.mutate({ workspaceId, name: "After" });
    await stream.until("the next", () => stream.events.length >= 41);
    // Its id: the position the reads reached, then what was sent ahead of them (itself among them):
    // the 8 after the read, and itself.
    const [, , ahead = ""] = stream.sseIds.at(-1)!.split(":");
    expect(ahead.split(",").length).toBeLessThan(32);
    stream.close();
  });

  it("gives the streams of a workspace that were sent the same events the same item for each, and a stream in another state its own id", async () => {
    const owner = await app.signUp("Shared");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Shared" })).id;
    const feed = app.runtime.services.liveFeed;
    /** A stream read straight from the feed, registered once its first message (ready) came. */
    const open = async () => {
      const abort = new AbortController();
      const iterator = feed
        .stream({
          workspaceId,
          userId: owner.userId,
          role: "owner",
          tokenExpiresAtMs: Date.now() + 60_000,
          signal: abort.signal,
        })
        [Symbol.asyncIterator]();
      const next = () => iterator.next().then((result) => result.value as LiveItem);
      expect((await next()).message).toEqual({ kind: "ready", resumed: null });
      // Ended and unregistered from the feed now, not whenever the generator would next resume.
      return {
        next,
        close: async () => {
          abort.abort();
          await iterator.return();
        },
      };
    };
    const event = (stream: Awaited<ReturnType<typeof open>>) => stream.next();
    // The timed read is a minute away and fewer than 32 events come: what follows stays sent
    // ahead (a composite id), unless the feed reads for another reason meanwhile. The relay's
    // broadcast of an event committed before the streams opened (this test's sign-up, a consumer's
    // write) does that when the dispatcher runs late: it is let through first, and a try that a
    // read still crossed is made again with new streams and events.
    const outcome = async (): Promise<"passed" | "read meanwhile"> => {
      await app.runtime.dispatcher.drain();
      await settle(100);
      const opened: Awaited<ReturnType<typeof open>>[] = [];
      try {
        const reads = feed.stats().outboxReads;
        const first = await Promise.all([open(), open(), open()]);
        opened.push(...first);
        await owner.client.contacts.create.mutate({ workspaceId, name: "First" });
        const firstItems = await Promise.all(first.map(event));
        const late = await open();
        opened.push(late);
        await owner.client.contacts.create.mutate({ workspaceId, name: "Second" });
        const secondItems = await Promise.all(first.map(event));
        const lateItem = await event(late);
        if (feed.stats().outboxReads !== reads) return "read meanwhile";
        expect(firstItems[0]!.id).toMatch(/^\d+:\d+:\d+$/);
        for (const item of firstItems.slice(1)) expect(item).toBe(firstItems[0]);
        expect(secondItems[0]!.id).toBe(
          `${firstItems[0]!.id},${(secondItems[0]!.message as { event: { id: number } }).event.id}`,
        );
        for (const item of secondItems.slice(1)) expect(item).toBe(secondItems[0]);
        // The late stream had nothing sent ahead when the second event came: only that one is in its id.
        expect(lateItem.message).toBe(secondItems[0]!.message);
        expect(lateItem.id).toMatch(/^\d+:\d+:\d+$/);
        expect(lateItem.id!.split(":")[2]).toBe(String((lateItem.message as { event: { id: number } }).event.id));
        return "passed";
      } finally {
        // Nothing of this test may hold the next ones up: its streams end here.
        await Promise.all(opened.map((stream) => stream.close()));
      }
    };
    const outcomes: string[] = [];
    while (outcomes.length < 3 && outcomes.at(-1) !== "passed") outcomes.push(await outcome());
    expect(outcomes.at(-1)).toBe("passed");
  });
});
