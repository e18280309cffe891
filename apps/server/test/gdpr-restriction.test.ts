import { appRouter, createRuntime } from "@rapport/api";
import { startGoogleFake, type GoogleFake } from "@rapport/google-fake";
import { createRapportClient } from "@rapport/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRapportServer } from "../src/http";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";
import { joinWorkspace } from "./support/members";

/**
 * GDPR Art. 18 for account users: while a user restricts processing, every
 * procedure that processes their data answers FORBIDDEN; signing in, viewing
 * and exporting keep working. Contact-side restriction is in gdpr-erasure.test.ts.
 */
type Client = SignedInUser["client"];
interface Ids {
  workspaceId: string;
  contactId: string;
}

/** Every procedure flagged `processesCallerData`; the meta check below keeps this table complete. */
const processing: Record<string, (c: Client, ids: Ids) => Promise<unknown>> = {
  "recommendations.forContact": (c, ids) => c.recommendations.forContact.query(ids),
  "analytics.metrics": (c, ids) => c.analytics.metrics.query({ workspaceId: ids.workspaceId }),
  "analytics.clv": (c, ids) => c.analytics.clv.query({ workspaceId: ids.workspaceId }),
  "analytics.health": (c, ids) => c.analytics.health.query({ workspaceId: ids.workspaceId }),
  "analytics.engagement": (c, ids) => c.analytics.engagement.query({ workspaceId: ids.workspaceId }),
  "analytics.topContacts": (c, ids) =>
    c.analytics.topContacts.query({ workspaceId: ids.workspaceId, sortBy: "clv", limit: 10 }),
  "analytics.timeseries": (c, ids) => c.analytics.timeseries.query({ workspaceId: ids.workspaceId }),
  "analytics.export": (c, ids) => c.analytics.export.mutate({ workspaceId: ids.workspaceId, format: "csv" }),
  "analytics.contactRelationship": (c, ids) => c.analytics.contactRelationship.query(ids),
  "cache.warmup": (c, ids) => c.cache.warmup.mutate({ workspaceId: ids.workspaceId, limit: 1 }),
  // Connecting a mailbox and syncing it (in this order: the later ones need the connection).
  "gmail.authUrl": (c, ids) => c.gmail.authUrl.mutate({ workspaceId: ids.workspaceId }),
  "gmail.completeOAuth": (c, ids) =>
    c.gmail.completeOAuth.mutate({ workspaceId: ids.workspaceId, ...gmailConsents.shift()! }),
  "gmail.syncNow": (c, ids) => c.gmail.syncNow.mutate({ workspaceId: ids.workspaceId, maxEmails: 5 }),
  "gmail.resume": (c, ids) => c.gmail.resume.mutate({ workspaceId: ids.workspaceId }),
  "gmail.updateSettings": (c, ids) =>
    c.gmail.updateSettings.mutate({ workspaceId: ids.workspaceId, aliases: ["old@alias.example"] }),
};

/** Consents given at the fake Google up front: one for each call of gmail.completeOAuth. */
const gmailConsents: { code: string; state: string }[] = [];
let google: GoogleFake;

async function gmailConsent(c: Client, workspaceId: string): Promise<{ code: string; state: string }> {
  const { url } = await c.gmail.authUrl.mutate({ workspaceId });
  const atGoogle = await fetch(url, { redirect: "manual" });
  const back = new URL(atGoogle.headers.get("location")!);
  return { code: back.searchParams.get("code")!, state: back.searchParams.get("state")! };
}

/** What a restricted user can still do. */
const stillAllowed: Record<string, (c: Client, ids: Ids) => Promise<unknown>> = {
  "auth.me": (c) => c.auth.me.query(),
  "contacts.list": (c, ids) => c.contacts.list.query({ workspaceId: ids.workspaceId }),
  "contacts.get": (c, ids) => c.contacts.get.query(ids),
  "interactions.listForContact": (c, ids) => c.interactions.listForContact.query(ids),
  "gdpr.requestExport": (c) => c.gdpr.requestExport.mutate({}),
  "gdpr.myOperations": (c) => c.gdpr.myOperations.query(),
};

type Meta = { processesCallerData?: boolean } | undefined;
const flagged = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Meta } }>)
  .filter(([, p]) => p._def.meta?.processesCallerData)
  .map(([path]) => path)
  .sort();

describe("restriction of processing by the user themself (Art. 18)", () => {
  let app: TestApp;
  let rita: SignedInUser;
  let ids: Ids;

  beforeAll(async () => {
    google = await startGoogleFake();
    google.addMailbox({ email: "rita@gmail.example", messages: 2 });
    app = await createTestApp({
      env: {
        GOOGLE_CLIENT_ID: google.clientId,
        GOOGLE_CLIENT_SECRET: google.clientSecret,
        GOOGLE_API_ROOT_URL: google.rootUrl,
        GOOGLE_OAUTH_AUTH_URL: google.oauthEndpoints.oauth2AuthBaseUrl,
        GOOGLE_OAUTH_TOKEN_URL: google.oauthEndpoints.oauth2TokenUrl,
        GOOGLE_OAUTH_REVOKE_URL: google.oauthEndpoints.oauth2RevokeUrl,
      },
    });
    rita = await app.signUp("Rita Restrict");
    const workspaceId = (await rita.client.workspaces.create.mutate({ name: "Restricted WS" })).id;
    const contactId = (
      await rita.client.contacts.create.mutate({ workspaceId, name: "Carl Contact", email: "carl@restrict.example" })
    ).id;
    ids = { workspaceId, contactId };
    // Before the restriction, while restricted, and after lifting it.
    for (let i = 0; i < 3; i += 1) gmailConsents.push(await gmailConsent(rita.client, workspaceId));
  });
  afterAll(async () => {
    await app.close();
    await google?.close();
  });

  it("the table names exactly the procedures flagged as processing the caller's data, and they cover recommendations, analytics reads and warm-up", () => {
    expect(Object.keys(processing).sort()).toEqual(flagged);
    const mustBeFlagged = Object.keys(appRouter._def.procedures as object).filter(
      (path) =>
        path.startsWith("recommendations.") || (path.startsWith("analytics.") && path !== "analytics.setValues"),
    );
    expect(flagged).toEqual(expect.arrayContaining([...mustBeFlagged, "cache.warmup"]));
  });

  it.each(Object.keys(processing))("%s works before the restriction", async (path) => {
    await expect(processing[path]!(rita.client, ids)).resolves.toBeDefined();
  });

  it("restrict answers with what stops", async () => {
    const result = await rita.client.gdpr.restrict.mutate();
    expect(result).toEqual({
      restricted: true,
      restrictions: expect.arrayContaining(["recommendations", "analytics", "syncs"]),
    });
  });

  it.each(Object.keys(processing))("%s → FORBIDDEN while restricted, saying processing is restricted", async (path) => {
    const error = await errorOf(processing[path]!(rita.client, ids));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toMatch(/restricted the processing of your data/i);
    // The SPA tells this apart from a missing role and links to the Privacy page.
    expect(error.data.details).toEqual({ reason: "processing_restricted" });
  });

  it.each(Object.keys(stillAllowed))("%s still works while restricted", async (path) => {
    await expect(stillAllowed[path]!(rita.client, ids)).resolves.toBeDefined();
  });

  it("a restricted user can still sign in", async () => {
    const again = await app.signIn(rita);
    expect((await again.client.gdpr.restrictionStatus.query()).restricted).toBe(true);
  });

  it("another member of the workspace is not affected by Rita's restriction", async () => {
    const olga = await app.signUp("Olga Other");
    await joinWorkspace(rita, ids.workspaceId, olga);
    await expect(olga.client.analytics.metrics.query({ workspaceId: ids.workspaceId })).resolves.toBeDefined();
  });

  it("lifting it is recorded in the user's request history and processing works again", async () => {
    expect(await rita.client.gdpr.unrestrict.mutate()).toEqual({ restricted: false, restrictions: [] });
    for (const call of Object.values(processing)) await call(rita.client, ids);
    const history = await rita.client.gdpr.myOperations.query();
    expect(history.map((o) => [o.type, o.status])).toEqual(
      expect.arrayContaining([
        ["restriction", "completed"],
        ["restriction_lifted", "completed"],
      ]),
    );
    const audit = await app.sql<
      { action: string }[]
    >`SELECT action FROM audit_log WHERE action LIKE 'gdpr.restriction%' ORDER BY id`;
    expect(audit.map((a) => a.action)).toEqual(["gdpr.restriction", "gdpr.restriction_lifted"]);
  });

  it("another API instance on the same database and Redis learns of a restriction and its lift from the events", async () => {
    const other = await createRuntime(app.runtime.config, { clock: app.clock });
    await other.start("api");
    const server = createRapportServer(other);
    try {
      const { url } = await server.listen(0, "127.0.0.1");
      const there = createRapportClient({ url, token: rita.accessToken, batch: false });
      const codeThere = async () =>
        (await errorOf(there.analytics.metrics.query({ workspaceId: ids.workspaceId }))).code;
      await expect(there.analytics.metrics.query({ workspaceId: ids.workspaceId })).resolves.toBeDefined();
      await rita.client.gdpr.restrict.mutate();
      await expect.poll(codeThere, { timeout: 5_000 }).toBe("FORBIDDEN");
      await rita.client.gdpr.unrestrict.mutate();
      await expect
        .poll(
          () =>
            there.analytics.metrics.query({ workspaceId: ids.workspaceId }).then(
              () => "ok",
              () => "refused",
            ),
          { timeout: 5_000 },
        )
        .toBe("ok");
    } finally {
      await server.close(1_000);
      await other.close();
    }
  });
});
