/**
 * Bulk operations on "all N contacts matching this filter", on Postgres and PGlite: a filter
 * selecting more contacts than a list page loads (and more than run inline) is tagged,
 * untagged, deleted and restored as a job with progress; a small one runs in the request;
 * contacts outside the filter are never touched.
 */
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp, type TestDriver } from "./support/app";
import { until } from "./support/until";

const drivers: TestDriver[] = ["postgres", "pglite"];
const ACME = 1_250;

describe.each(drivers)("bulk operations by filter on %s", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let outsider: SignedInUser;
  let workspaceId: string;

  beforeAll(async () => {
    // The real clock: a bulk delete's batches run at different instants, and must still share one.
    app = await createTestApp({ driver, clock: { now: () => new Date() } });
    [owner, outsider] = await Promise.all([app.signUp("Owner"), app.signUp("Outsider")]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: `Bulk on ${driver}` })).id;
    for (let start = 0; start < ACME; start += 1_000) {
      const size = Math.min(1_000, ACME - start);
      await owner.client.contacts.bulkCreate.mutate({
        workspaceId,
        contacts: Array.from({ length: size }, (_, i) => ({
          name: `Acme person ${start + i}`,
          email: `p${start + i}@acme.example`,
          company: "Acme",
        })),
      });
    }
    await owner.client.contacts.bulkCreate.mutate({
      workspaceId,
      contacts: Array.from({ length: 30 }, (_, i) => ({ name: `Globex person ${i}`, company: "Globex", tags: ["x"] })),
    });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  const count = async (filter: Record<string, unknown>) =>
    (await owner.client.contacts.count.query({ workspaceId, ...filter })).count;

  const finished = async (jobId: string) =>
    until(`bulk job ${jobId}`, async () => {
      const progress = await owner.client.jobs.get.query({ jobId });
      return progress.state === "completed" || progress.state === "failed" ? progress : null;
    });

  it("tags every contact the filter selects, beyond the loaded page, as a job with progress", async () => {
    const page = await owner.client.contacts.list.query({ workspaceId, company: "Acme", limit: 50 });
    expect(page.items).toHaveLength(50);
    const started = await owner.client.contacts.bulk.mutate({
      workspaceId,
      filter: { company: "acme" },
      action: "tag",
      tag: "Fair-2026",
    });
    expect(started).toMatchObject({ matched: ACME, result: null });
    const progress = await finished(started.jobId!);
    expect(progress).toMatchObject({ state: "completed", percent: 100, done: ACME, total: ACME });
    expect(await count({ tag: "fair-2026" })).toBe(ACME);
    expect(await count({ company: "Globex", tag: "fair-2026" })).toBe(0);
    const events = await app.query<{ n: number | string }>`
      SELECT count(*) AS n FROM domain_events WHERE workspace_id = ${workspaceId} AND type = 'contact.updated'`;
    expect(Number(events[0]!.n)).toBe(ACME);
  });

  it("a job leaves restricted contacts (GDPR Art. 18) untagged and its finished snapshot reports them", async () => {
    const [first, second] = await app.query<{ id: string }>`
      SELECT id FROM contacts WHERE workspace_id = ${workspaceId} AND company = 'Acme' ORDER BY id LIMIT 2`;
    const restrictedIds = [first!.id, second!.id];
    for (const contactId of restrictedIds) await owner.client.gdpr.restrictContact.mutate({ workspaceId, contactId });
    try {
      const started = await owner.client.contacts.bulk.mutate({
        workspaceId,
        filter: { company: "Acme" },
        action: "tag",
        tag: "art18-job",
      });
      expect(started).toMatchObject({ matched: ACME, result: null });
      const progress = await finished(started.jobId!);
      expect(progress).toMatchObject({ state: "completed", done: ACME });
      expect(progress.summary).toEqual({ changed: ACME - 2, skipped: 0, restricted: 2, restrictedIds });
      expect(await count({ tag: "art18-job" })).toBe(ACME - 2);
      const kept = await app.query<{ tags: string[] }>`
        SELECT tags FROM contacts WHERE id IN (${restrictedIds[0]!}, ${restrictedIds[1]!})`;
      expect(kept.map((row) => row.tags)).toEqual([["fair-2026"], ["fair-2026"]]);
    } finally {
      // The tests after this one see the workspace as before: nothing restricted, no such tag.
      for (const contactId of restrictedIds)
        await owner.client.gdpr.unrestrictContact.mutate({ workspaceId, contactId });
      const undo = await owner.client.contacts.bulk.mutate({
        workspaceId,
        filter: { tag: "art18-job" },
        action: "untag",
        tag: "art18-job",
      });
      if (undo.jobId) await finished(undo.jobId);
      expect(await count({ tag: "art18-job" })).toBe(0);
    }
  });

  it("exports the filtered list with the chosen columns as CSV and XLSX, streamed past one page", async () => {
    const url = (query: string) => `${app.url}/api/contacts/export?workspaceId=${workspaceId}&${query}`;
    const auth = { authorization: `Bearer ${owner.accessToken}` };
    const csv = await fetch(url("format=csv&company=Acme&sort=name&columns=name,email,tags"), { headers: auth });
    expect(csv.status).toBe(200);
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines).toHaveLength(ACME + 1);
    expect(lines[0]).toBe("name,email,tags");
    expect(lines[1]).toBe("Acme person 0,p0@acme.example,fair-2026");
    const xlsx = await fetch(url("format=xlsx&tag=x&columns=name,company"), { headers: auth });
    expect(xlsx.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.rowCount).toBe(31);
    expect(sheet.getRow(2).values).toEqual([undefined, expect.stringMatching(/^Globex person/), "Globex"]);
    const foreign = await fetch(url("format=csv"), { headers: { authorization: `Bearer ${outsider.accessToken}` } });
    expect(foreign.status).toBe(404);
    expect((await fetch(url("format=csv&columns=password"), { headers: auth })).status).toBe(400);
    // One tag, as the list's filter takes it (a separator is bad input, not a filter matching nothing).
    expect((await fetch(url(`format=csv&tag=${encodeURIComponent("x, y")}`), { headers: auth })).status).toBe(400);
    const upper = await fetch(url("format=csv&tag=X&columns=name"), { headers: auth });
    expect((await upper.text()).trim().split("\r\n")).toHaveLength(31);
    expect((await fetch(url("format=csv"))).status).toBe(401);
  });

  it("untags a small selection in the request", async () => {
    const result = await owner.client.contacts.bulk.mutate({
      workspaceId,
      filter: { company: "Globex" },
      action: "untag",
      tag: "x",
    });
    expect(result).toEqual({
      jobId: null,
      matched: 30,
      result: { matched: 30, changed: 30, skipped: 0, restricted: 0, restrictedIds: [] },
      deletedAt: null,
    });
    expect(await count({ tag: "x" })).toBe(0);
  });

  it("deletes all matching contacts and restores them from Recently deleted", async () => {
    const deleted = await owner.client.contacts.bulk.mutate({
      workspaceId,
      filter: { tag: "fair-2026" },
      action: "delete",
    });
    expect((await finished(deleted.jobId!)).state).toBe("completed");
    expect(await count({ company: "Acme" })).toBe(0);
    expect(await count({ company: "Globex" })).toBe(30);
    expect(await count({ deleted: true })).toBe(ACME);

    // One of them is taken again by a live contact: that one cannot come back.
    await owner.client.contacts.create.mutate({ workspaceId, name: "New P0", email: "p0@acme.example" });
    const restored = await owner.client.contacts.bulk.mutate({
      workspaceId,
      filter: { deleted: true },
      action: "restore",
    });
    expect((await finished(restored.jobId!)).state).toBe("completed");
    expect(await count({ company: "Acme" })).toBe(ACME - 1);
    expect(await count({ deleted: true })).toBe(1);
  });

  it("refuses an action that does not fit its filter, and other workspaces", async () => {
    expect((await errorOf(owner.client.contacts.bulk.mutate({ workspaceId, filter: {}, action: "tag" }))).code).toBe(
      "BAD_REQUEST",
    );
    expect(
      (await errorOf(owner.client.contacts.bulk.mutate({ workspaceId, filter: { deleted: true }, action: "delete" })))
        .code,
    ).toBe("BAD_REQUEST");
    expect(
      (await errorOf(outsider.client.contacts.bulk.mutate({ workspaceId, filter: {}, action: "delete" }))).code,
    ).toBe("NOT_FOUND");
    expect(await count({ company: "Acme" })).toBe(ACME - 1);
  });

  it('refuses a tag holding a separator ("," everywhere): it would come back from an export as two', async () => {
    const bulk = await errorOf(
      owner.client.contacts.bulk.mutate({
        workspaceId,
        filter: { company: "Globex" },
        action: "tag",
        tag: "vip, lead",
      }),
    );
    expect(bulk.code).toBe("BAD_REQUEST");
    expect(bulk.message).toMatch(/must not contain/);
    const [contact] = (await owner.client.contacts.list.query({ workspaceId, company: "Globex", limit: 1 })).items;
    const update = await errorOf(
      owner.client.contacts.update.mutate({ workspaceId, contactId: contact!.id, patch: { tags: ["vip;lead"] } }),
    );
    expect(update.code).toBe("BAD_REQUEST");
    // Nothing was written: the contact keeps its tags, and no Globex contact holds either form.
    expect((await owner.client.contacts.get.query({ workspaceId, contactId: contact!.id })).tags).toEqual(
      contact!.tags,
    );
    const globex = await owner.client.contacts.list.query({ workspaceId, company: "Globex", limit: 100 });
    expect(globex.items.flatMap((c) => c.tags).filter((tag) => /[,;]/.test(tag))).toEqual([]);
  });

  it("leaves erased contacts (GDPR Art. 17) out of the list, its count, bulk actions and the export", async () => {
    const ws = (await owner.client.workspaces.create.mutate({ name: `Erased on ${driver}` })).id;
    const add = async (name: string) =>
      (await owner.client.contacts.create.mutate({ workspaceId: ws, name, source: "import" })).id;
    const gone = await add("Erin Gone");
    await add("Kim Kept");
    await owner.client.gdpr.eraseContact.mutate({ workspaceId: ws, contactId: gone, reason: "request" });
    // Every filter an anonymous row still fits: none, its source, its new name.
    for (const filter of [{}, { source: "import" as const }, { search: "erased" }]) {
      const names = (await owner.client.contacts.list.query({ workspaceId: ws, ...filter })).items.map((c) => c.name);
      const counted = (await owner.client.contacts.count.query({ workspaceId: ws, ...filter })).count;
      expect([filter, names, counted]).toEqual([filter, "search" in filter ? [] : ["Kim Kept"], names.length]);
    }
    const tagged = await owner.client.contacts.bulk.mutate({ workspaceId: ws, filter: {}, action: "tag", tag: "all" });
    expect(tagged.result).toEqual({ matched: 1, changed: 1, skipped: 0, restricted: 0, restrictedIds: [] });
    expect(await app.query`SELECT tags FROM contacts WHERE id = ${gone}`).toEqual([{ tags: [] }]);
    const csv = await fetch(`${app.url}/api/contacts/export?workspaceId=${ws}&format=csv&columns=name`, {
      headers: { authorization: `Bearer ${owner.accessToken}` },
    });
    expect((await csv.text()).trim().split("\r\n")).toEqual(["name", "Kim Kept"]);
  });

  it("undoes a bulk delete exactly: its filter at its deletedAt brings back what it removed, across the job's batches", async () => {
    const before = await count({ deleted: true });
    const [earlier] = (await owner.client.contacts.list.query({ workspaceId, company: "Acme", limit: 1 })).items;
    await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [earlier!.id] });
    const deleted = await owner.client.contacts.bulk.mutate({
      workspaceId,
      filter: { company: "Acme" },
      action: "delete",
    });
    expect(deleted.matched).toBe(ACME - 2);
    expect(deleted.deletedAt).toBeInstanceOf(Date);
    expect((await finished(deleted.jobId!)).state).toBe("completed");
    expect(await count({ deleted: true })).toBe(before + ACME - 1);
    expect(await count({ deleted: true, company: "Acme" })).toBe(ACME);
    // Stamped updated when their batches committed, after the instant they share as deletedAt:
    // a client syncing by updatedSince from then on sees them.
    const synced = await owner.client.contacts.list.query({
      workspaceId,
      deleted: true,
      company: "Acme",
      updatedSince: new Date(deleted.deletedAt!.getTime() + 1),
      limit: 100,
    });
    expect(synced.items.length).toBeGreaterThan(0);
    const undo = await owner.client.contacts.bulk.mutate({
      workspaceId,
      filter: { company: "Acme", deleted: true, deletedAt: deleted.deletedAt! },
      action: "restore",
    });
    // More than one batch, one instant: the undo's filter selects every one of them, and only them.
    expect(undo.matched).toBe(ACME - 2);
    expect((await finished(undo.jobId!)).state).toBe("completed");
    expect(await count({ company: "Acme" })).toBe(ACME - 2);
    // The contact deleted on its own before stays deleted.
    expect(await count({ deleted: true })).toBe(before + 1);
    const bin = await owner.client.contacts.list.query({ workspaceId, deleted: true, company: "Acme", limit: 10 });
    expect(bin.items.map((c) => c.id)).toContain(earlier!.id);
  });

  it("a dry run counts exactly what the action would act on and changes nothing", async () => {
    const dry = await owner.client.contacts.bulk.mutate({
      workspaceId,
      filter: { company: "Globex" },
      action: "delete",
      dryRun: true,
    });
    expect(dry).toEqual({ jobId: null, matched: 30, result: null, deletedAt: null });
    expect(await count({ company: "Globex" })).toBe(30);
  });

  describe("the search filter: the search box's word rule, with the other filters", () => {
    let ws: string;
    beforeAll(async () => {
      ws = (await owner.client.workspaces.create.mutate({ name: `Search list on ${driver}` })).id;
      await owner.client.contacts.bulkCreate.mutate({
        workspaceId: ws,
        contacts: [
          { name: "Anna Jensen-Holt", email: "anna@holt.example", tags: ["vip"] },
          { name: "Zoë Jensen", company: "Nørd AS" },
          { name: "Benjamin Holt", company: "Jensen & Co", tags: ["vip"] },
          { name: "Jens Olsen", email: "jens@olsen.example" },
          { name: "Karl Jensenius", email: "karl@example.org", source: "import" },
        ],
      });
    });
    const names = async (filter: Record<string, unknown>, sort: "name" | "created" = "name") => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: { name: string }[]; nextCursor: string | null } = await owner.client.contacts.list.query({
          workspaceId: ws,
          sort,
          limit: 2,
          cursor,
          ...filter,
        });
        seen.push(...page.items.map((c) => c.name));
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    };
    const counted = async (filter: Record<string, unknown>) =>
      owner.client.contacts.count.query({ workspaceId: ws, ...filter });

    it("matches a word anywhere (name, company), case and accents folded, every word required", async () => {
      expect(await names({ search: "jensen" })).toEqual([
        "Anna Jensen-Holt",
        "Benjamin Holt",
        "Karl Jensenius",
        "Zoë Jensen",
      ]);
      expect(await counted({ search: "jensen" })).toEqual({ count: 4, exact: true });
      expect(await names({ search: "JENSEN holt" })).toEqual(["Anna Jensen-Holt", "Benjamin Holt"]);
      expect(await names({ search: "zoe" })).toEqual(["Zoë Jensen"]);
      expect(await names({ search: "nord" })).toEqual(["Zoë Jensen"]);
      expect(await names({ search: "olsen.example" })).toEqual(["Jens Olsen"]);
      expect(await names({ search: "%" })).toEqual([]);
      expect(await counted({ search: "%" })).toEqual({ count: 0, exact: true });
    });

    it("combines with tag and source filters and keeps the chosen sort", async () => {
      expect(await names({ search: "jensen", tag: "vip" })).toEqual(["Anna Jensen-Holt", "Benjamin Holt"]);
      expect(await counted({ search: "jensen", tag: "vip" })).toEqual({ count: 2, exact: true });
      expect(await names({ search: "jensen", source: "import" })).toEqual(["Karl Jensenius"]);
      const created = await names({ search: "jensen" }, "created");
      expect([...created].sort()).toEqual(await names({ search: "jensen" }));
    });

    it("export and bulk act on the same contacts the list shows", async () => {
      const csv = await fetch(
        `${app.url}/api/contacts/export?workspaceId=${ws}&format=csv&search=jensen&tag=vip&sort=name&columns=name`,
        { headers: { authorization: `Bearer ${owner.accessToken}` } },
      );
      expect((await csv.text()).trim().split("\r\n")).toEqual(["name", "Anna Jensen-Holt", "Benjamin Holt"]);
      const dry = await owner.client.contacts.bulk.mutate({
        workspaceId: ws,
        filter: { search: "jensen", tag: "vip" },
        action: "delete",
        dryRun: true,
      });
      expect(dry.matched).toBe(2);
      const tagged = await owner.client.contacts.bulk.mutate({
        workspaceId: ws,
        filter: { search: "jensen" },
        action: "tag",
        tag: "nordic",
      });
      expect(tagged.result).toEqual({ matched: 4, changed: 4, skipped: 0, restricted: 0, restrictedIds: [] });
      expect(await names({ tag: "nordic" })).toEqual(await names({ search: "jensen" }));
    });
  });
});
