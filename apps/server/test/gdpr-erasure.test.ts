import { ManualClock } from "@rapport/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";
import { dumpEverything } from "./support/dump";
import { joinWorkspace } from "./support/members";

/**
 * GDPR erasure and restriction against real Postgres and Redis.
 * Dump-and-grep: after erasure no table and no Redis key under our prefix holds
 * the subject's original email, name or phone.
 */
const DAY_MS = 86_400_000;

const waitFor = async (check: () => Promise<boolean>, ms = 5_000) => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not met in time");
};

/** A fresh app with a workspace owned by Olive and a plain member, Milo. */
async function ownerAndMember(clock: ManualClock, workspaceName: string) {
  const app = await createTestApp({ clock });
  const [owner, member] = await Promise.all([app.signUp("Olive Owner"), app.signUp("Milo Member")]);
  const workspaceId = (await owner.client.workspaces.create.mutate({ name: workspaceName })).id;
  await joinWorkspace(owner, workspaceId, member);
  return { app, owner, member, workspaceId };
}

describe("GDPR erasure and restriction", () => {
  let app: TestApp;
  let owner: SignedInUser;
  let member: SignedInUser;
  let workspaceId: string;
  const clock = new ManualClock(new Date("2026-06-01T09:00:00Z"));

  beforeAll(async () => {
    ({ app, owner, member, workspaceId } = await ownerAndMember(clock, "Privacy WS"));
  });
  afterAll(() => app.close());

  describe("eraseContact", () => {
    const EMAIL = "zelda.quixote@erase-me.example";
    const NAME = "Zelda Quixote-Marvell";
    const PHONE = "+44 7700 900123";
    let zeldaId: string;
    let bobId: string;

    beforeAll(async () => {
      const zelda = await owner.client.contacts.create.mutate({
        workspaceId,
        name: NAME,
        email: EMAIL,
        phone: PHONE,
        company: "Quixote Ltd",
        title: "CTO",
        tags: ["vip"],
      });
      const bob = await owner.client.contacts.create.mutate({
        workspaceId,
        name: "Bob Keeper",
        email: "bob@keep.example",
        company: "Quixote Ltd",
      });
      zeldaId = zelda.id;
      bobId = bob.id;
      const t = clock.now();
      await owner.client.interactions.create.mutate({
        workspaceId,
        contactId: zeldaId,
        type: "meeting",
        direction: "outbound",
        occurredAt: t,
        subject: `Lunch with ${NAME}`,
        summary: `Call back on ${PHONE}`,
      });
      await owner.client.interactions.create.mutate({
        workspaceId,
        contactId: zeldaId,
        type: "email",
        direction: "inbound",
        occurredAt: t,
        subject: "Quarterly plan",
      });
      await owner.client.interactions.create.mutate({
        workspaceId,
        contactId: bobId,
        type: "email",
        direction: "outbound",
        occurredAt: t,
        subject: `Intro: Bob meets ${NAME}`,
        participants: [{ email: EMAIL.toUpperCase(), displayName: NAME, role: "cc" }],
      });
      await owner.client.interactions.create.mutate({
        workspaceId,
        contactId: bobId,
        type: "note",
        occurredAt: t,
        summary: `Ask ${NAME} about it`,
      });
      // Her name recorded under an address the workspace does not know as hers (the text itself does not name her).
      await owner.client.interactions.create.mutate({
        workspaceId,
        contactId: bobId,
        type: "meeting",
        direction: "inbound",
        occurredAt: t,
        subject: "Board meeting",
        participants: [
          { email: "zq.private@elsewhere.example", displayName: NAME.toUpperCase(), role: "attendee" },
          { email: "assistant@elsewhere.example", displayName: `Office of ${NAME}`, role: "attendee" },
        ],
      });
      // Fill the caches with derived data naming her.
      await owner.client.recommendations.forContact.query({ workspaceId, contactId: bobId });
      await owner.client.recommendations.forContact.query({ workspaceId, contactId: zeldaId });
      await owner.client.analytics.topContacts.query({ workspaceId, sortBy: "clv", limit: 100 });
      expect(await dumpEverything(app)).toContain(NAME.toLowerCase());
    });

    it("a plain member cannot erase (FORBIDDEN)", async () => {
      expect(
        (await errorOf(member.client.gdpr.eraseContact.mutate({ workspaceId, contactId: zeldaId, reason: "x" }))).code,
      ).toBe("FORBIDDEN");
    });

    it("erases every trace of the contact, keeps the aggregates, emits contact.erased with ids only", async () => {
      const before = (
        await app.sql`SELECT count(*)::int AS n FROM interactions WHERE workspace_id = ${workspaceId}`
      )[0]!.n;
      const result = await owner.client.gdpr.eraseContact.mutate({
        workspaceId,
        contactId: zeldaId,
        reason: `Art. 17(1)(a) request received by email from ${NAME}`,
      });
      expect(result).toMatchObject({ status: "completed" });
      // The event consumers run after commit; wait until every one of them (the cache's among
      // them) has handled it. Their stored cursors lag behind what they handled when their
      // batches wrote nothing: drain() is what waits for each and stores its cursor.
      expect(await app.runtime.dispatcher.drain()).toBe(true);

      const dump = await dumpEverything(app);
      for (const value of [EMAIL, NAME, PHONE, "quixote-marvell", "7700 900123"])
        expect(dump).not.toContain(value.toLowerCase());

      const after = (await app.sql`SELECT count(*)::int AS n FROM interactions WHERE workspace_id = ${workspaceId}`)[0]!
        .n;
      expect(after).toBe(before);
      const kept =
        await app.sql`SELECT type, occurred_at FROM interactions WHERE contact_id = ${zeldaId} ORDER BY type`;
      expect(kept.map((r) => r.type)).toEqual(["email", "meeting"]);
      const [contact] =
        await app.sql`SELECT email, name, phone, company, title, tags FROM contacts WHERE id = ${zeldaId}`;
      expect(contact).toEqual({
        email: null,
        name: "Erased contact",
        phone: null,
        company: null,
        title: null,
        tags: [],
      });
      // Bob is untouched apart from the free text that named her.
      expect((await owner.client.contacts.get.query({ workspaceId, contactId: bobId })).name).toBe("Bob Keeper");
      // Matched by value: the display names that were her name lose it; the other addresses stay (not known to be hers).
      const byValue =
        await app.sql`SELECT email, display_name FROM interaction_participants WHERE email LIKE '%@elsewhere.example' ORDER BY email`;
      expect(byValue).toEqual([
        { email: "assistant@elsewhere.example", display_name: null },
        { email: "zq.private@elsewhere.example", display_name: null },
      ]);
      // The request's reason stays as its record, without her name.
      const [operation] =
        await app.sql`SELECT reason FROM gdpr_operations WHERE type = 'contact_erasure' AND subject_id = ${zeldaId}`;
      expect(operation!.reason).toBe("Art. 17(1)(a) request received by email from [erased]");

      const events = await app.sql`SELECT payload FROM domain_events WHERE type = 'contact.erased'`;
      expect(events).toHaveLength(1);
      expect(Object.keys(events[0]!.payload).sort()).toEqual(["contactId", "operationId"]);

      const audit =
        await app.sql`SELECT action, target_id, metadata FROM audit_log WHERE action LIKE 'gdpr.contact_erasure.%' ORDER BY id`;
      expect(audit.map((a) => a.action)).toEqual(["gdpr.contact_erasure.started", "gdpr.contact_erasure.completed"]);
      expect(JSON.stringify(audit)).not.toContain("Art. 17(1)(a)");
      expect(audit.every((a) => a.target_id === zeldaId)).toBe(true);
    });

    it("the suppression list refuses to re-create her (create: CONFLICT, bulk: skipped, participants: not recorded)", async () => {
      const error = await errorOf(
        owner.client.contacts.create.mutate({ workspaceId, name: "Z", email: `  ${EMAIL.toUpperCase()} ` }),
      );
      expect(error.code).toBe("CONFLICT");
      expect(error.message).toMatch(/erased/);
      const bulk = await owner.client.contacts.bulkCreate.mutate({
        workspaceId,
        contacts: [
          { name: "Zed", email: EMAIL },
          { name: "Newbie", email: "newbie@ok.example" },
        ],
      });
      expect(bulk).toMatchObject({ created: 1, skippedErased: 1 });
      expect(
        (await errorOf(owner.client.contacts.update.mutate({ workspaceId, contactId: bobId, patch: { email: EMAIL } })))
          .code,
      ).toBe("CONFLICT");
      const created = await owner.client.interactions.create.mutate({
        workspaceId,
        contactId: bobId,
        type: "email",
        direction: "inbound",
        occurredAt: clock.now(),
        subject: "Catch-up",
        participants: [{ email: EMAIL, displayName: NAME, role: "from" }],
      });
      const rows =
        await app.sql`SELECT email, display_name FROM interaction_participants WHERE interaction_id = ${created.interaction.id}`;
      expect(rows.every((r) => r.email === null && r.display_name === null)).toBe(true);
      // The suppression entry is a keyed HMAC, not the address.
      const [s] = await app.sql`SELECT address_hmac FROM gdpr_suppressions WHERE workspace_id = ${workspaceId}`;
      expect(s!.address_hmac).toMatch(/^[0-9a-f]{64}$/);
    });

    it("erases a contact whose address was recorded unlinked on an interaction she also takes part in (one row per person)", async () => {
      const yusuf = await owner.client.contacts.create.mutate({ workspaceId, name: "Yusuf Unlinked" });
      // The address was not hers yet when the interaction was logged, so its row stayed unlinked next to hers.
      const { interaction } = await owner.client.interactions.create.mutate({
        workspaceId,
        contactId: bobId,
        type: "email",
        direction: "inbound",
        occurredAt: clock.now(),
        subject: "Catch-up",
        participants: [
          { contactId: yusuf.id, role: "from" },
          { email: "yusuf@later.example", displayName: "Y. U.", role: "cc" },
          { email: "YUSUF@later.example", role: "bcc" },
        ],
      });
      await owner.client.contacts.update.mutate({
        workspaceId,
        contactId: yusuf.id,
        patch: { email: "yusuf@later.example" },
      });
      expect(
        await owner.client.gdpr.eraseContact.mutate({ workspaceId, contactId: yusuf.id, reason: "request" }),
      ).toMatchObject({ status: "completed" });
      const rows =
        await app.sql`SELECT contact_id, email, display_name FROM interaction_participants WHERE interaction_id = ${interaction.id} ORDER BY contact_id`;
      expect(rows).toEqual(
        [
          { contact_id: bobId, email: null, display_name: null },
          { contact_id: yusuf.id, email: null, display_name: null },
        ].sort((a, b) => a.contact_id.localeCompare(b.contact_id)),
      );
    });

    it("suppresses the other addresses she took part in interactions under, so a sync cannot record her again", async () => {
      const { id: ws } = await owner.client.workspaces.create.mutate({ name: "Participant addresses" });
      const uma = await owner.client.contacts.create.mutate({
        workspaceId: ws,
        name: "Uma Second",
        email: "uma@work.example",
      });
      const other = await owner.client.contacts.create.mutate({ workspaceId: ws, name: "Otto Other" });
      await owner.client.interactions.create.mutate({
        workspaceId: ws,
        contactId: other.id,
        type: "meeting",
        direction: "inbound",
        occurredAt: new Date("2026-05-01T10:00:00Z"),
        subject: "Planning",
        participants: [{ contactId: uma.id, email: "uma.private@home.example", role: "attendee" }],
      });
      await owner.client.gdpr.eraseContact.mutate({ workspaceId: ws, contactId: uma.id, reason: "request" });
      for (const email of ["uma@work.example", "Uma.Private@home.example"])
        expect(
          (await errorOf(owner.client.contacts.create.mutate({ workspaceId: ws, name: "Again", email }))).code,
        ).toBe("CONFLICT");
    });

    it("suppresses the mailbox an address reaches: Gmail's dots and +tags, not another provider's", async () => {
      const { id: ws } = await owner.client.workspaces.create.mutate({ name: "Mailboxes" });
      const gmail = await owner.client.contacts.create.mutate({
        workspaceId: ws,
        name: "Gina",
        email: "gina.lake@gmail.com",
      });
      const other = await owner.client.contacts.create.mutate({
        workspaceId: ws,
        name: "Olaf",
        email: "olaf@corp.example",
      });
      for (const contactId of [gmail.id, other.id])
        await owner.client.gdpr.eraseContact.mutate({ workspaceId: ws, contactId, reason: "request" });
      for (const email of ["ginalake@gmail.com", "Gina.Lake+crm@googlemail.com"])
        expect(
          (await errorOf(owner.client.contacts.create.mutate({ workspaceId: ws, name: "Again", email }))).code,
        ).toBe("CONFLICT");
      expect(
        await owner.client.contacts.bulkCreate.mutate({
          workspaceId: ws,
          contacts: [{ name: "G", email: "g.i.n.a.lake@gmail.com" }],
        }),
      ).toMatchObject({ created: 0, skippedErased: 1 });
      // Elsewhere a + may name another mailbox.
      await owner.client.contacts.create.mutate({ workspaceId: ws, name: "O", email: "olaf+team@corp.example" });
      expect((await owner.client.contacts.list.query({ workspaceId: ws })).items.map((c) => c.email)).toContain(
        "olaf+team@corp.example",
      );
    });

    it("clears free text that names her as a word, not text that merely contains her name's letters", async () => {
      const { id: ws } = await owner.client.workspaces.create.mutate({ name: "Word boundaries" });
      const vera = await owner.client.contacts.create.mutate({ workspaceId: ws, name: "Vera" });
      const other = await owner.client.contacts.create.mutate({ workspaceId: ws, name: "Otto Other" });
      const note = async (summary: string, participants?: { email: string; displayName: string; role: "attendee" }[]) =>
        (
          await owner.client.interactions.create.mutate({
            workspaceId: ws,
            contactId: other.id,
            type: participants ? "meeting" : "note",
            ...(participants ? { direction: "inbound" as const } : {}),
            occurredAt: new Date("2026-05-01T10:00:00Z"),
            summary,
            ...(participants ? { participants } : {}),
          })
        ).interaction;
      const named = await note("Lunch with Vera (and her team)");
      const dotted = await note("Call vera.");
      const veranda = await note("New veranda chairs for the office");
      const several = await note("Several options; overall fine", [
        { email: "v.assistant@elsewhere.example", displayName: "Veracity Desk", role: "attendee" },
      ]);
      await owner.client.gdpr.eraseContact.mutate({ workspaceId: ws, contactId: vera.id, reason: "request" });
      const summaries = new Map(
        (await app.sql`SELECT id, summary FROM interactions WHERE workspace_id = ${ws}`).map((r) => [r.id, r.summary]),
      );
      expect(summaries.get(named.id)).toBeNull();
      expect(summaries.get(dotted.id)).toBeNull();
      expect(summaries.get(veranda.id)).toBe("New veranda chairs for the office");
      expect(summaries.get(several.id)).toBe("Several options; overall fine");
      const [participant] =
        await app.sql`SELECT display_name FROM interaction_participants WHERE email = 'v.assistant@elsewhere.example'`;
      expect(participant!.display_name).toBe("Veracity Desk");
    });

    it("the request is in the operations log with its due date", async () => {
      const ops = await owner.client.gdpr.operations.query({ workspaceId });
      const op = ops.find((o) => o.type === "contact_erasure" && o.subjectId === zeldaId)!;
      expect(op).toMatchObject({ subjectKind: "contact", subjectId: zeldaId, status: "completed", overdue: false });
      expect(op.dueAt.toISOString()).toBe("2026-07-01T09:00:00.000Z");
    });
  });

  describe("restriction", () => {
    let ruthId: string;
    let otherId: string;
    let client: SignedInUser["client"];

    beforeAll(async () => {
      client = (await app.signIn(owner)).client;
      ruthId = (
        await client.contacts.create.mutate({ workspaceId, name: "Ruth Restricted", email: "ruth@restrict.example" })
      ).id;
      otherId = (
        await client.contacts.create.mutate({ workspaceId, name: "Otto Other", email: "otto@restrict.example" })
      ).id;
      await client.interactions.create.mutate({
        workspaceId,
        contactId: otherId,
        type: "meeting",
        direction: "inbound",
        occurredAt: clock.now(),
        subject: "Catch-up",
        participants: [{ contactId: ruthId, role: "attendee" }],
      });
    });

    it("restrictContact returns what stops; a member cannot restrict", async () => {
      expect((await errorOf(member.client.gdpr.restrictContact.mutate({ workspaceId, contactId: ruthId }))).code).toBe(
        "FORBIDDEN",
      );
      const result = await client.gdpr.restrictContact.mutate({ workspaceId, contactId: ruthId });
      expect(result.restricted).toBe(true);
      expect(result.restrictions).toEqual(expect.arrayContaining(["recommendations", "analytics"]));
    });

    const processing: [
      string,
      (c: SignedInUser["client"], ids: { ruth: string; other: string }) => Promise<unknown>,
    ][] = [
      [
        "interactions.create (primary contact)",
        (c, ids) =>
          c.interactions.create.mutate({
            workspaceId,
            contactId: ids.ruth,
            type: "call",
            direction: "inbound",
            occurredAt: clock.now(),
            subject: "Catch-up",
          }),
      ],
      [
        "interactions.create (as a participant)",
        (c, ids) =>
          c.interactions.create.mutate({
            workspaceId,
            contactId: ids.other,
            type: "meeting",
            direction: "inbound",
            occurredAt: clock.now(),
            subject: "Catch-up",
            participants: [{ contactId: ids.ruth, role: "attendee" }],
          }),
      ],
      [
        "interactions.create (linked by address)",
        (c, ids) =>
          c.interactions.create.mutate({
            workspaceId,
            contactId: ids.other,
            type: "email",
            direction: "inbound",
            occurredAt: clock.now(),
            subject: "Catch-up",
            participants: [{ email: "ruth@restrict.example", role: "from" }],
          }),
      ],
      [
        "recommendations.forContact",
        (c, ids) => c.recommendations.forContact.query({ workspaceId, contactId: ids.ruth }),
      ],
    ];

    it("a restricted contact is left out of other contacts' recommendations and of analytics", async () => {
      const recs = await client.recommendations.forContact.query({
        workspaceId,
        contactId: otherId,
        includeKnown: true,
      });
      expect(recs.items.map((i) => i.contactId)).not.toContain(ruthId);
      await waitFor(async () => {
        const top = await client.analytics.topContacts.query({ workspaceId, sortBy: "clv", limit: 100 });
        return !JSON.stringify(top).includes(ruthId);
      });
    });

    it.each(processing)("%s → FORBIDDEN (processing is restricted)", async (_name, call) => {
      const error = await errorOf(call(client, { ruth: ruthId, other: otherId }));
      expect(error.code).toBe("FORBIDDEN");
      expect(error.message).toMatch(/processing is restricted/i);
    });

    it("lifting is recorded (activity event, operations log) and processing works again", async () => {
      expect(await client.gdpr.unrestrictContact.mutate({ workspaceId, contactId: ruthId })).toEqual({
        restricted: false,
        restrictions: [],
      });
      for (const [, call] of processing) await call(client, { ruth: ruthId, other: otherId });
      expect(
        await app.sql`SELECT 1 FROM domain_events WHERE type = 'contact.unrestricted' AND payload->>'contactId' = ${ruthId}`,
      ).toHaveLength(1);
      const ops = await client.gdpr.operations.query({ workspaceId });
      expect(
        ops
          .filter((o) => o.subjectId === ruthId)
          .map((o) => o.type)
          .sort(),
      ).toEqual(["restriction", "restriction_lifted"]);
    });

    it("a user can restrict and unrestrict their own processing", async () => {
      const me = await app.signUp("Rita Self");
      const result = await me.client.gdpr.restrict.mutate();
      expect(result.restricted).toBe(true);
      expect(result.restrictions.length).toBeGreaterThan(0);
      expect((await me.client.gdpr.restrictionStatus.query()).restricted).toBe(true);
      await me.client.gdpr.unrestrict.mutate();
      expect((await me.client.gdpr.restrictionStatus.query()).restricted).toBe(false);
      const mine = await me.client.gdpr.myOperations.query();
      expect(mine.map((o) => o.type).sort()).toEqual(["restriction", "restriction_lifted"]);
    });
  });

  it("the retention job deletes audit entries past AUDIT_RETENTION_DAYS and none inside it; the log stays append-only otherwise", async () => {
    const year = 365 * DAY_MS;
    const old = new Date(clock.now().getTime() - 8 * year);
    const kept = new Date(clock.now().getTime() - 6 * year);
    await app.sql`INSERT INTO audit_log (action, created_at) VALUES ('test.ancient', ${old}), ('test.six_years', ${kept})`;
    await expect(app.sql`DELETE FROM audit_log WHERE action = 'test.ancient'`).rejects.toThrow(/append-only/);
    const result = await app.runtime.services.gdprErasure.enforceRetention();
    expect(result.auditDeleted).toBe(1);
    const left = await app.sql`SELECT action FROM audit_log WHERE action LIKE 'test.%'`;
    expect(left.map((r) => r.action)).toEqual(["test.six_years"]);
  });

  it("the retention job deletes expired refresh tokens and sessions ended over 30 days ago (with their IP), and keeps live ones", async () => {
    const now = clock.now().getTime();
    const userId = (await app.sql<{ id: string }[]>`SELECT id FROM users WHERE email = ${owner.email}`)[0]!.id;
    const at = (days: number) => new Date(now + days * DAY_MS);
    const made = await app.sql<{ id: string; label: string }[]>`
      INSERT INTO sessions (user_id, created_at, last_used_at, revoked_at, ip, user_agent)
      VALUES (${userId}, ${at(-100)}, ${at(-40)}, ${at(-40)}, '203.0.113.7', 'revoked long ago'),
             (${userId}, ${at(-100)}, ${at(-10)}, ${at(-10)}, '203.0.113.8', 'revoked recently'),
             (${userId}, ${at(-200)}, ${at(-70)}, NULL, '203.0.113.9', 'idle past refresh lifetime + 30 days'),
             (${userId}, ${at(-200)}, ${at(-1)}, NULL, '203.0.113.10', 'in use')
      RETURNING id, user_agent AS label`;
    const inUse = made.find((m) => m.label === "in use")!.id;
    await app.sql`INSERT INTO refresh_tokens (session_id, user_id, token_hash, expires_at)
      VALUES (${inUse}, ${userId}, 'retention-test-expired', ${at(-1)}), (${inUse}, ${userId}, 'retention-test-live', ${at(29)})`;

    await app.runtime.services.gdprErasure.enforceRetention();
    const sessionsLeft =
      await app.sql`SELECT user_agent FROM sessions WHERE id IN ${app.sql(made.map((m) => m.id))} ORDER BY user_agent`;
    expect(sessionsLeft.map((r) => r.user_agent)).toEqual(["in use", "revoked recently"]);
    const tokensLeft = await app.sql`SELECT token_hash FROM refresh_tokens WHERE token_hash LIKE 'retention-test-%'`;
    expect(tokensLeft.map((r) => r.token_hash)).toEqual(["retention-test-live"]);
  });

  it("dataLocations reports the database, processors and retention from the inventory", async () => {
    const client = (await app.signIn(owner)).client;
    const map = await client.gdpr.dataLocations.query();
    expect(map.primary.kind).toBe("postgres");
    expect(map.processors.map((p) => p.name)).toContain("Google (Gmail API)");
    expect(Object.keys(map.retentionByCategory)).toEqual(
      expect.arrayContaining(["identity", "contact_details", "communication_content"]),
    );
  });
});

describe("GDPR user deletion", () => {
  let app: TestApp;
  let owner: SignedInUser;
  let member: SignedInUser;
  let workspaceId: string;
  const clock = new ManualClock(new Date("2026-06-01T09:00:00Z"));

  beforeAll(async () => {
    ({ app, owner, member, workspaceId } = await ownerAndMember(clock, "Deletion WS"));
  });
  afterAll(() => app.close());

  it("an owner/admin of every workspace the user belongs to can execute it immediately", async () => {
    const uma = await app.signUp("Uma Quickgone");
    await joinWorkspace(owner, workspaceId, uma);
    const { deletionId } = await uma.client.gdpr.requestDeletion.mutate({ reason: "now", password: uma.password });
    expect(await owner.client.gdpr.executeDeletion.mutate({ deletionId })).toMatchObject({ status: "completed" });
    expect((await errorOf(app.client().auth.login.mutate({ email: uma.email, password: uma.password }))).code).toBe(
      "UNAUTHORIZED",
    );
  });

  it("schedules, cancels, refuses a sole owner, executes after the grace period; the user can no longer sign in and leaves no trace", async () => {
    const NAME = "Yorick Vandermeer-Plinth";
    const yorick = await app.signUp(NAME);
    const own = (await yorick.client.workspaces.create.mutate({ name: "Yorick's" })).id;
    await joinWorkspace(owner, workspaceId, yorick);

    expect(
      (await errorOf(yorick.client.gdpr.requestDeletion.mutate({ reason: "leaving", password: "wrong password!!" })))
        .code,
    ).toBe("FORBIDDEN");
    const sole = await errorOf(
      yorick.client.gdpr.requestDeletion.mutate({ reason: "leaving", password: yorick.password }),
    );
    expect(sole.code).toBe("CONFLICT");
    expect(sole.message).toMatch(/sole owner/);
    await joinWorkspace(yorick, own, owner, "owner");

    const scheduled = await yorick.client.gdpr.requestDeletion.mutate({ reason: "leaving", password: yorick.password });
    expect(scheduled).toMatchObject({ status: "scheduled" });
    expect(scheduled.effectiveAt.getTime()).toBe(clock.now().getTime() + 30 * DAY_MS);
    expect(scheduled.warning).toMatch(/irreversibl/);
    // A second request returns the pending one.
    expect(
      (await yorick.client.gdpr.requestDeletion.mutate({ reason: "again", password: yorick.password })).deletionId,
    ).toBe(scheduled.deletionId);
    expect(await yorick.client.gdpr.cancelDeletion.mutate()).toMatchObject({ status: "cancelled" });
    const again = await yorick.client.gdpr.requestDeletion.mutate({ reason: "leaving", password: yorick.password });
    expect(again.deletionId).not.toBe(scheduled.deletionId);

    // Another user who doesn't administer all his workspaces cannot execute it.
    expect((await errorOf(member.client.gdpr.executeDeletion.mutate({ deletionId: again.deletionId }))).code).toBe(
      "NOT_FOUND",
    );
    expect((await errorOf(yorick.client.gdpr.executeDeletion.mutate({ deletionId: again.deletionId }))).code).toBe(
      "FORBIDDEN",
    );

    // Nothing happens before the grace period ends; the daily job executes it after.
    expect(await app.runtime.services.gdprErasure.runDueDeletions()).toEqual({ executed: 0, failed: 0 });
    clock.advance(31 * DAY_MS);
    expect(await app.runtime.services.gdprErasure.runDueDeletions()).toEqual({ executed: 1, failed: 0 });

    const login = await errorOf(app.client().auth.login.mutate({ email: yorick.email, password: yorick.password }));
    expect(login.code).toBe("UNAUTHORIZED");
    const [user] = await app.sql`SELECT email, name, password_hash FROM users WHERE id = ${yorick.userId}`;
    expect(user).toEqual({
      email: `deleted-${yorick.userId}@deleted.invalid`,
      name: "Deleted User",
      password_hash: null,
    });
    expect(await app.sql`SELECT 1 FROM sessions WHERE user_id = ${yorick.userId}`).toHaveLength(0);
    expect(await app.sql`SELECT 1 FROM memberships WHERE user_id = ${yorick.userId}`).toHaveLength(0);
    expect(
      await app.sql`SELECT 1 FROM domain_events WHERE type = 'user.erased' AND payload->>'userId' = ${yorick.userId}`,
    ).toHaveLength(1);

    const dump = await dumpEverything(app);
    for (const value of [yorick.email, NAME, "vandermeer"]) expect(dump).not.toContain(value.toLowerCase());
  });
});
