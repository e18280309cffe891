/**
 * Duplicate contacts on Postgres and PGlite: the scan (a job with progress) finds pairs by
 * address, number and similar names at one company; the form's check; dismissed pairs stay
 * dismissed; a merge moves every link to the survivor (one timeline), is audited and
 * announced, and its undo puts every row back exactly; restricted contacts cannot be merged;
 * erasure suppresses every address the kept merge records knew, then takes them with it.
 */
import { ManualClock } from "@rapport/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTACT_REFERENCES } from "../../../packages/api/src/modules/duplicates/service";
import { createTestApp, errorOf, type SignedInUser, type TestApp, type TestDriver } from "./support/app";
import { until } from "./support/until";

const DAY = 86_400_000;
const drivers: TestDriver[] = ["postgres", "pglite"];

describe.each(drivers)("duplicates on %s", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let workspaceId: string;
  const ids: Record<string, string> = {};
  const clock = new ManualClock(new Date(Date.UTC(2026, 10, 2, 12)));

  const create = async (key: string, contact: Record<string, unknown> & { name: string }) => {
    ids[key] = (await owner.client.contacts.create.mutate({ workspaceId, ...contact })).id;
  };

  /** Every row a merge may touch, in a stable order: what "restored exactly" is compared on. */
  const snapshot = async () => ({
    contacts: await app.query`SELECT * FROM contacts WHERE workspace_id = ${workspaceId} ORDER BY id`,
    interactions: await app.query`SELECT * FROM interactions WHERE workspace_id = ${workspaceId} ORDER BY id`,
    participants:
      await app.query`SELECT * FROM interaction_participants WHERE workspace_id = ${workspaceId} ORDER BY id`,
    tasks: await app.query`SELECT * FROM tasks WHERE workspace_id = ${workspaceId} ORDER BY id`,
    reconnect: await app.query`SELECT * FROM contact_reconnect WHERE workspace_id = ${workspaceId} ORDER BY contact_id`,
    dismissals:
      await app.query`SELECT * FROM duplicate_dismissals WHERE workspace_id = ${workspaceId} ORDER BY contact_a_id`,
  });

  const scan = async () => {
    const { jobId } = await owner.client.duplicates.scan.mutate({ workspaceId });
    return until("the scan to finish", async () => {
      const progress = await owner.client.jobs.get.query({ jobId });
      if (progress.state === "failed") throw new Error(progress.error ?? "scan failed");
      return progress.state === "completed" ? progress : null;
    });
  };

  beforeAll(async () => {
    app = await createTestApp({ driver, clock });
    owner = await app.signUp("Owner");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: `Duplicates on ${driver}` })).id;
    await create("ana", {
      name: "Ana Lima",
      email: "ana.lima@gmail.com",
      company: "Acme",
      phone: "+1 415 555 2671",
      tags: ["vip"],
    });
    clock.advance(60_000);
    await create("anna", {
      name: "Anna Lima",
      email: "analima+crm@googlemail.com",
      company: "ACME Inc.",
      title: "CTO",
      tags: ["lead"],
    });
    await create("ben", { name: "Ben Okafor", email: "ben@initech.example", company: "Initech" });
    await create("bob", { name: "Bob Stone", phone: "+14155559999" });
    await create("bobby", { name: "Robert Stone", phone: "+1 (415) 555-9999" });
    await create("zoe", { name: "Zoe Park", company: "Initech" });
    await create("zoey", { name: "Zoey Park", company: "Initech GmbH" });
    const interaction = async (contactId: string, subject: string, participants: string[], daysAgo: number) =>
      (
        await owner.client.interactions.create.mutate({
          workspaceId,
          contactId,
          type: "meeting",
          direction: "inbound",
          occurredAt: new Date(clock.now().getTime() - daysAgo * DAY),
          subject,
          participants: participants.map((id) => ({ contactId: id, role: "attendee" as const })),
        })
      ).interaction.id;
    await interaction(ids.ana!, "Kick-off", [], 30);
    ids.review = await interaction(ids.anna!, "Review", [ids.ben!], 20);
    await interaction(ids.ben!, "Three of us", [ids.ana!, ids.anna!], 10);
    await owner.client.tasks.create.mutate({
      workspaceId,
      title: "Send the contract",
      dueAt: new Date(clock.now().getTime() + 3 * DAY),
      contactId: ids.anna!,
      interactionId: ids.review,
    });
    await owner.client.reconnect.setKeepInTouch.mutate({
      workspaceId,
      contactId: ids.anna!,
      keepInTouch: { every: "month" },
    });
    // A pair someone already said are two people (kept through merge and undo).
    await owner.client.duplicates.dismiss.mutate({ workspaceId, contactIds: [ids.anna!, ids.ben!] });
  });
  afterAll(() => app?.close());

  it("merges nothing that the schema links to contacts without the merge knowing it", async () => {
    const references = await app.query<{ t: string; c: string }>`
      SELECT cl.relname AS t, a.attname AS c
      FROM pg_constraint k
      JOIN pg_class cl ON cl.oid = k.conrelid
      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey)
      WHERE k.contype = 'f' AND k.confrelid = 'contacts'::regclass`;
    expect(references.map((r) => `${r.t}.${r.c}`).sort()).toEqual([...CONTACT_REFERENCES].sort());
  });

  it("scans the workspace as a job with progress and lists pairs with scores and reasons, best first", async () => {
    const progress = await scan();
    expect(progress).toMatchObject({ kind: "duplicates.scan", state: "completed", percent: 100 });
    const { items, scannedAt } = await owner.client.duplicates.list.query({ workspaceId });
    expect(scannedAt).toBeInstanceOf(Date);
    const pairs = items.map((item) => ({
      names: item.contacts.map((c) => c.name).sort(),
      reasons: item.reasons.map((r) => r.kind),
      score: item.score,
    }));
    expect(pairs.map((p) => p.names)).toEqual([
      ["Ana Lima", "Anna Lima"],
      ["Bob Stone", "Robert Stone"],
      ["Zoe Park", "Zoey Park"],
    ]);
    expect(pairs[0]!.reasons).toEqual(["email", "name"]);
    expect(pairs[1]!.reasons).toEqual(["phone"]);
    expect(pairs[2]!.reasons).toEqual(["name"]);
    expect(pairs[0]!.score).toBeGreaterThan(pairs[1]!.score);
    expect(pairs[1]!.score).toBeGreaterThan(pairs[2]!.score);
    // As much of the timeline on each: the older one is the one to keep by default.
    expect(items[0]!.suggestedSurvivorId).toBe(ids.ana);
    // Pages: one at a time, same order.
    const first = await owner.client.duplicates.list.query({ workspaceId, limit: 1 });
    const second = await owner.client.duplicates.list.query({ workspaceId, limit: 1, cursor: first.nextCursor });
    expect(second.items[0]!.contacts.map((c) => c.name).sort()).toEqual(["Bob Stone", "Robert Stone"]);
  });

  it("warns the contact form about a likely duplicate before anything is created", async () => {
    const { matches } = await owner.client.duplicates.check.query({
      workspaceId,
      name: "Ana Lima",
      email: "A.N.A.Lima@gmail.com",
      company: null,
    });
    // Both reach the same Gmail mailbox (dots and +tags ignored there).
    expect(matches.map((m) => m.name).sort()).toEqual(["Ana Lima", "Anna Lima"]);
    expect(matches.map((m) => m.reasons)).toEqual([[{ kind: "email" }], [{ kind: "email" }]]);
    const byCompany = await owner.client.duplicates.check.query({ workspaceId, name: "Ana Lima", company: "Acme Ltd" });
    expect(byCompany.matches.map((m) => [m.name, m.reasons.map((r) => r.kind)])).toEqual([
      ["Ana Lima", ["name"]],
      ["Anna Lima", ["name"]],
    ]);
    expect((await owner.client.duplicates.check.query({ workspaceId, name: "Someone Else" })).matches).toEqual([]);
  });

  it("remembers a dismissed pair through later scans", async () => {
    await owner.client.duplicates.dismiss.mutate({ workspaceId, contactIds: [ids.zoey!, ids.zoe!] });
    await scan();
    const names = (await owner.client.duplicates.list.query({ workspaceId })).items.map((item) =>
      item.contacts.map((c) => c.name).sort(),
    );
    expect(names).toEqual([
      ["Ana Lima", "Anna Lima"],
      ["Bob Stone", "Robert Stone"],
    ]);
  });

  it("previews a merge field by field without changing anything", async () => {
    const before = await snapshot();
    const preview = await owner.client.duplicates.previewMerge.query({
      workspaceId,
      survivorId: ids.ana!,
      mergedId: ids.anna!,
      choices: { name: "merged" },
    });
    expect(Object.fromEntries(preview.fields.map((f) => [f.field, [f.side, f.value]]))).toEqual({
      name: ["merged", "Anna Lima"],
      email: ["survivor", "ana.lima@gmail.com"],
      company: ["survivor", "Acme"],
      title: ["merged", "CTO"],
      phone: ["survivor", "+1 415 555 2671"],
    });
    expect(preview.tags).toEqual(["lead", "vip"]);
    expect(preview.moves).toEqual({ interactions: 1, participations: 2, tasks: 1, keepInTouch: 1 });
    expect(await snapshot()).toEqual(before);
  });

  it("merges into the survivor (one timeline, every link moved, audited, announced) and undoes it exactly", async () => {
    const before = await snapshot();
    const result = await owner.client.duplicates.merge.mutate({
      workspaceId,
      survivorId: ids.ana!,
      mergedId: ids.anna!,
      choices: { name: "merged", email: "merged" },
    });
    expect(result.undoUntil.getTime()).toBe(clock.now().getTime() + 30 * DAY);
    const survivor = await owner.client.contacts.get.query({ workspaceId, contactId: ids.ana! });
    expect(survivor).toMatchObject({
      name: "Anna Lima",
      email: "analima+crm@googlemail.com",
      company: "Acme",
      title: "CTO",
      phone: "+1 415 555 2671",
      tags: ["lead", "vip"],
    });
    expect((await errorOf(owner.client.contacts.get.query({ workspaceId, contactId: ids.anna! }))).code).toBe(
      "NOT_FOUND",
    );
    // One timeline: the survivor's, the merged contact's and the shared meeting once.
    const timeline = await owner.client.interactions.listForContact.query({ workspaceId, contactId: ids.ana! });
    expect(timeline.items.map((i) => i.subject).sort()).toEqual(["Kick-off", "Review", "Three of us"]);
    const links = await app.query<{ n: number }>`
      SELECT count(*)::int AS n FROM (
        SELECT contact_id FROM interactions WHERE contact_id = ${ids.anna}
        UNION ALL SELECT contact_id FROM interaction_participants WHERE contact_id = ${ids.anna}
        UNION ALL SELECT contact_id FROM tasks WHERE contact_id = ${ids.anna}
        UNION ALL SELECT contact_id FROM contact_reconnect WHERE contact_id = ${ids.anna}) t`;
    expect(links[0]!.n).toBe(0);
    const [task] = await app.query<{
      contact_id: string;
    }>`SELECT contact_id FROM tasks WHERE workspace_id = ${workspaceId}`;
    expect(task!.contact_id).toBe(ids.ana);
    expect((await owner.client.reconnect.get.query({ workspaceId, contactId: ids.ana! })).keepInTouchDays).toBe(30);
    const audit = await app.query<{ target_id: string; metadata: unknown }>`
      SELECT target_id, metadata FROM audit_log WHERE action = 'contact.merged' AND workspace_id = ${workspaceId}`;
    expect(audit).toHaveLength(1);
    expect(audit[0]!.target_id).toBe(ids.ana);
    const events = await app.query<{ payload: unknown }>`
      SELECT payload FROM domain_events WHERE type = 'contact.merged' AND workspace_id = ${workspaceId}`;
    expect(events.map((e) => e.payload)).toEqual([
      { contactId: ids.ana, mergedContactId: ids.anna, mergeId: result.mergeId },
    ]);
    const merges = await owner.client.duplicates.merges.query({ workspaceId });
    expect(merges.map((m) => [m.survivorName, m.mergedName])).toEqual([["Anna Lima", "Anna Lima"]]);

    await owner.client.duplicates.undoMerge.mutate({ workspaceId, mergeId: result.mergeId });
    expect(await snapshot()).toEqual(before);
    expect(await owner.client.duplicates.merges.query({ workspaceId })).toEqual([]);
    expect(
      (await app.query`SELECT 1 FROM domain_events WHERE type = 'contact.unmerged' AND workspace_id = ${workspaceId}`)
        .length,
    ).toBe(1);
    expect(
      (await errorOf(owner.client.duplicates.undoMerge.mutate({ workspaceId, mergeId: result.mergeId }))).code,
    ).toBe("NOT_FOUND");
  });

  it("can undo for 30 days, not after", async () => {
    const { mergeId } = await owner.client.duplicates.merge.mutate({
      workspaceId,
      survivorId: ids.bob!,
      mergedId: ids.bobby!,
    });
    clock.advance(30 * DAY + 1_000);
    owner = await app.signIn(owner);
    const error = await errorOf(owner.client.duplicates.undoMerge.mutate({ workspaceId, mergeId }));
    expect(error.code).toBe("CONFLICT");
    expect(await owner.client.duplicates.merges.query({ workspaceId })).toEqual([]);
    await app.runtime.services.duplicates.purgeExpiredMerges();
    expect(await app.query`SELECT 1 FROM contact_merges WHERE id = ${mergeId}`).toEqual([]);
  });

  it("refuses to merge a restricted contact (GDPR Art. 18)", async () => {
    await owner.client.gdpr.restrictContact.mutate({ workspaceId, contactId: ids.zoe! });
    const error = await errorOf(
      owner.client.duplicates.merge.mutate({ workspaceId, survivorId: ids.zoey!, mergedId: ids.zoe! }),
    );
    expect(error.code).toBe("FORBIDDEN");
    expect(error.data.details).toMatchObject({ reason: "restricted" });
    expect(
      (
        await errorOf(
          owner.client.duplicates.previewMerge.query({ workspaceId, survivorId: ids.zoe!, mergedId: ids.zoey! }),
        )
      ).code,
    ).toBe("FORBIDDEN");
    // Nor is a restricted contact proposed, by the scan or the form.
    expect(
      (await owner.client.duplicates.check.query({ workspaceId, name: "Zoe Park", company: "Initech" })).matches.map(
        (m) => m.name,
      ),
    ).toEqual(["Zoey Park"]);
    await owner.client.gdpr.unrestrictContact.mutate({ workspaceId, contactId: ids.zoe! });
  });

  it("erasing a merged contact also erases the kept merge record", async () => {
    const { mergeId } = await owner.client.duplicates.merge.mutate({
      workspaceId,
      survivorId: ids.ana!,
      mergedId: ids.anna!,
    });
    expect(await app.query`SELECT 1 FROM contact_merges WHERE id = ${mergeId}`).toHaveLength(1);
    await owner.client.gdpr.eraseContact.mutate({ workspaceId, contactId: ids.ana!, reason: "request" });
    expect(await app.query`SELECT 1 FROM contact_merges WHERE id = ${mergeId}`).toEqual([]);
    const leftovers = await app.query`
      SELECT 1 FROM contact_merges WHERE merged_contact::text LIKE '%analima%' OR survivor_before::text LIKE '%ana.lima%'`;
    expect(leftovers).toEqual([]);
  });

  it("erasing a survivor suppresses every address its merges knew, not only its current one", async () => {
    const zed = async (email: string) =>
      (await owner.client.contacts.create.mutate({ workspaceId, name: "Zed Quill", email })).id;
    const [older, old, kept, last] = [
      await zed("zed@third.example"),
      await zed("zed@old.example"),
      await zed("zed@new.example"),
      await zed("zed@last.example"),
    ];
    // zed@third.example: a merge into a contact that was merged later (its record follows the survivor);
    // zed@old.example: a merged contact's record; zed@new.example: the survivor's values before the
    // last merge, which takes the merged contact's address.
    await owner.client.duplicates.merge.mutate({ workspaceId, survivorId: old, mergedId: older });
    await owner.client.duplicates.merge.mutate({ workspaceId, survivorId: kept, mergedId: old });
    await owner.client.duplicates.merge.mutate({
      workspaceId,
      survivorId: kept,
      mergedId: last,
      choices: { email: "merged" },
    });
    expect((await owner.client.contacts.get.query({ workspaceId, contactId: kept })).email).toBe("zed@last.example");
    await owner.client.gdpr.eraseContact.mutate({ workspaceId, contactId: kept, reason: "request" });
    expect(await app.query`SELECT 1 FROM contact_merges WHERE survivor_id = ${kept}`).toEqual([]);
    for (const email of ["zed@third.example", "zed@old.example", "zed@new.example", "ZED@last.example"]) {
      const error = await errorOf(owner.client.contacts.create.mutate({ workspaceId, name: "Zed again", email }));
      expect([email, error.code, error.message]).toEqual([email, "CONFLICT", expect.stringMatching(/erased/)]);
    }
    // Pseudonymous: the list holds keyed hashes, never an address.
    const stored = await app.query<{ h: string }>`
      SELECT address_hmac AS h FROM gdpr_suppressions WHERE workspace_id = ${workspaceId}`;
    expect(stored.length).toBeGreaterThanOrEqual(4);
    expect(stored.every((row) => /^[0-9a-f]{64}$/.test(row.h))).toBe(true);
  });
});
