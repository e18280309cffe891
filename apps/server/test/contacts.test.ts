import { ManualClock } from "@rapport/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";

describe("contacts", () => {
  let app: TestApp;
  let owner: SignedInUser;
  let workspaceId: string;
  const clock = new ManualClock(new Date("2026-05-01T09:00:00Z"));
  const countContacts = async () =>
    Number((await app.sql`SELECT count(*)::int AS n FROM contacts WHERE workspace_id = ${workspaceId}`)[0]!.n);
  const countEvents = async (type: string) =>
    Number(
      (
        await app.sql`SELECT count(*)::int AS n FROM domain_events WHERE workspace_id = ${workspaceId} AND type = ${type}`
      )[0]!.n,
    );

  beforeAll(async () => {
    app = await createTestApp({ clock });
    owner = await app.signUp("Owner");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Contacts WS" })).id;
  });
  afterAll(() => app.close());

  it("creates a contact with a normalized email and reads it back", async () => {
    const created = await owner.client.contacts.create.mutate({
      workspaceId,
      name: "  Ana Ruiz ",
      email: "  Ana.Ruiz@Acme.COM ",
      company: "Acme",
      tags: ["VIP", "customer", "vip"],
    });
    expect(created).toMatchObject({
      name: "Ana Ruiz",
      email: "ana.ruiz@acme.com",
      company: "Acme",
      tags: ["customer", "vip"],
      source: "manual",
    });
    expect(await owner.client.contacts.get.query({ workspaceId, contactId: created.id })).toEqual(created);
  });

  it("allows contacts without an email", async () => {
    const a = await owner.client.contacts.create.mutate({ workspaceId, name: "No Mail One" });
    const b = await owner.client.contacts.create.mutate({ workspaceId, name: "No Mail Two", email: null });
    expect([a.email, b.email]).toEqual([null, null]);
  });

  it("a duplicate email (any case) is a CONFLICT naming the existing contact, and writes nothing", async () => {
    const first = await owner.client.contacts.create.mutate({ workspaceId, name: "Ben", email: "ben@example.org" });
    const before = await countContacts();
    const eventsBefore = await countEvents("contact.created");
    const error = await errorOf(
      owner.client.contacts.create.mutate({ workspaceId, name: "Ben 2", email: "BEN@example.org" }),
    );
    expect(error.code).toBe("CONFLICT");
    expect(error.data.details.existingContactId).toBe(first.id);
    expect(await countContacts()).toBe(before);
    expect(await countEvents("contact.created")).toBe(eventsBefore);
  });

  it("concurrent creates of the same email: exactly one wins", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        owner.client.contacts.create.mutate({ workspaceId, name: `Race ${i}`, email: "race@example.org" }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect((r.reason as { data: { code: string } }).data.code).toBe("CONFLICT");
  });

  it("updates only what changed and records the changed fields", async () => {
    const c = await owner.client.contacts.create.mutate({ workspaceId, name: "Cleo", email: "cleo@example.org" });
    clock.advance(1_000);
    const updated = await owner.client.contacts.update.mutate({
      workspaceId,
      contactId: c.id,
      patch: { title: "CTO", name: "Cleo" },
    });
    expect(updated.title).toBe("CTO");
    expect(updated.updatedAt.getTime()).toBeGreaterThan(c.updatedAt.getTime());
    const [event] =
      await app.sql`SELECT payload FROM domain_events WHERE type = 'contact.updated' AND payload->>'contactId' = ${c.id}`;
    expect(event!.payload.fields).toEqual(["title"]);
    const dup = await errorOf(
      owner.client.contacts.update.mutate({ workspaceId, contactId: c.id, patch: { email: "ben@example.org" } }),
    );
    expect(dup.code).toBe("CONFLICT");
    const cleared = await owner.client.contacts.update.mutate({ workspaceId, contactId: c.id, patch: { title: "" } });
    expect(cleared.title).toBeNull();
  });

  describe("validation: BAD_REQUEST with the field path, nothing written", () => {
    const cases: [string, Record<string, unknown>, string[]][] = [
      ["bad email", { name: "X", email: "not-an-email" }, ["email"]],
      ["email with spaces inside", { name: "X", email: "a b@example.com" }, ["email"]],
      ["email too long", { name: "X", email: `${"a".repeat(250)}@example.com` }, ["email"]],
      ["empty name", { name: "   " }, ["name"]],
      ["name too long", { name: "n".repeat(201) }, ["name"]],
      ["company too long", { name: "X", company: "c".repeat(201) }, ["company"]],
      ["wrong type", { name: 42 }, ["name"]],
      ["tags not an array", { name: "X", tags: "vip" }, ["tags"]],
      ["too many tags", { name: "X", tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }, ["tags"]],
      ["bad phone", { name: "X", phone: "call me maybe" }, ["phone"]],
      ["bad source", { name: "X", source: "telepathy" }, ["source"]],
      ["unknown field", { name: "X", favouriteColour: "blue" }, []],
    ];
    it.each(cases)("%s", async (_label, fields, path) => {
      const before = await countContacts();
      const error = await errorOf(
        owner.client.contacts.create.mutate({ workspaceId, ...(fields as { name: string }) }),
      );
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.data.zodIssues.length).toBeGreaterThan(0);
      if (path.length > 0) expect(error.data.zodIssues[0].path).toEqual(path);
      else expect(error.message).toMatch(/favouriteColour/);
      expect(await countContacts()).toBe(before);
    });

    it("raw malformed JSON and non-UUID ids are BAD_REQUEST, not 500", async () => {
      const res = await fetch(`${app.url}/trpc/contacts.create`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${owner.accessToken}` },
        body: "{not json",
      });
      expect(res.status).toBe(400);
      expect((await errorOf(owner.client.contacts.get.query({ workspaceId: "nope", contactId: "x" }))).code).toBe(
        "BAD_REQUEST",
      );
      expect((await errorOf(owner.client.contacts.list.query({ workspaceId, cursor: "garbage" }))).code).toBe(
        "BAD_REQUEST",
      );
    });
  });

  describe("list", () => {
    let listWs: string;
    beforeAll(async () => {
      listWs = (await owner.client.workspaces.create.mutate({ name: "List WS" })).id;
      const names = ["delta", "Alpha", "charlie", "Bravo", "echo", "foxtrot", "golf"];
      for (const [i, name] of names.entries()) {
        clock.advance(60_000);
        await owner.client.contacts.create.mutate({
          workspaceId: listWs,
          name,
          email: `${name.toLowerCase()}@${i % 2 ? "acme" : "globex"}.example`,
          company: i % 2 ? "Acme" : "Globex",
          tags: i < 3 ? ["vip"] : [],
          source: i === 6 ? "import" : "manual",
        });
      }
    });

    async function all(input: Record<string, unknown>, limit = 2) {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 20; page++) {
        const result = await owner.client.contacts.list.query({ workspaceId: listWs, limit, cursor, ...input });
        seen.push(...result.items.map((c) => c.name));
        expect(result.items.length).toBeLessThanOrEqual(limit);
        cursor = result.nextCursor;
        if (!cursor) break;
      }
      return seen;
    }

    it("pages through every contact exactly once in each sort", async () => {
      expect(await all({ sort: "name" })).toEqual(["Alpha", "Bravo", "charlie", "delta", "echo", "foxtrot", "golf"]);
      expect(await all({ sort: "created" })).toEqual(["golf", "foxtrot", "echo", "Bravo", "charlie", "Alpha", "delta"]);
      expect(await all({ sort: "updated" }, 3)).toHaveLength(7);
    });

    it("keeps pages stable when rows share a timestamp (microsecond keys)", async () => {
      const ws = (await owner.client.workspaces.create.mutate({ name: "Same time" })).id;
      await owner.client.contacts.bulkCreate.mutate({
        workspaceId: ws,
        contacts: Array.from({ length: 9 }, (_, i) => ({ name: `Same ${i}` })),
      });
      const names: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: { name: string }[]; nextCursor: string | null } = await owner.client.contacts.list.query({
          workspaceId: ws,
          limit: 4,
          cursor,
          sort: "created",
        });
        names.push(...page.items.map((c) => c.name));
        cursor = page.nextCursor;
      } while (cursor);
      expect(names.sort()).toEqual(Array.from({ length: 9 }, (_, i) => `Same ${i}`));
    });

    it("answers the dates a contact read alone has, to the millisecond (microseconds cut, not rounded)", async () => {
      const ws = (await owner.client.workspaces.create.mutate({ name: "Microseconds" })).id;
      const c = await owner.client.contacts.create.mutate({ workspaceId: ws, name: "Micro" });
      await app.sql`UPDATE contacts SET created_at = '2026-04-30 23:59:59.999999+00', updated_at = '2026-05-01 09:00:00.000501+02' WHERE id = ${c.id}`;
      const alone = await owner.client.contacts.get.query({ workspaceId: ws, contactId: c.id });
      expect(alone.createdAt.toISOString()).toBe("2026-04-30T23:59:59.999Z");
      expect(alone.updatedAt.toISOString()).toBe("2026-05-01T07:00:00.000Z");
      expect((await owner.client.contacts.list.query({ workspaceId: ws })).items).toEqual([alone]);
    });

    it("filters by tag, company (case-insensitive), source, updatedSince and search prefix", async () => {
      expect((await all({ sort: "name", tag: "VIP" })).sort()).toEqual(["Alpha", "charlie", "delta"].sort());
      expect(await all({ sort: "name", company: "acme" })).toEqual(["Alpha", "Bravo", "foxtrot"]);
      expect(await all({ sort: "name", source: "import" })).toEqual(["golf"]);
      expect(await all({ sort: "name", search: "ch" })).toEqual(["charlie"]);
      expect(await all({ sort: "name", search: "glob" })).toEqual(["charlie", "delta", "echo", "golf"]);
      const recent = await all({ sort: "name", updatedSince: new Date(clock.now().getTime() - 90_000) });
      expect(recent).toEqual(["foxtrot", "golf"]);
      expect(await all({ sort: "name", search: "%" })).toEqual([]);
    });
  });

  describe("count", () => {
    it("counts what the list's filters select, exactly, as the list pages them", async () => {
      const listWs = (await owner.client.workspaces.list.query()).find((w) => w.name === "List WS")!.id;
      const count = (input: Record<string, unknown>) =>
        owner.client.contacts.count.query({ workspaceId: listWs, ...input });
      expect(await count({})).toEqual({ count: 7, exact: true });
      expect(await count({ tag: "VIP" })).toEqual({ count: 3, exact: true });
      expect(await count({ company: "acme", search: "b" })).toEqual({ count: 1, exact: true });
      expect(await count({ search: "glob", source: "manual" })).toEqual({ count: 3, exact: true });
      expect(await count({ deleted: true })).toEqual({ count: 0, exact: true });
    });
  });

  describe("bulkCreate", () => {
    it("creates up to 1,000 contacts in one call", async () => {
      const ws = (await owner.client.workspaces.create.mutate({ name: "Bulk" })).id;
      const rows = Array.from({ length: 1_000 }, (_, i) => ({
        name: `Person ${i}`,
        email: `p${i}@bulk.example`,
        source: "import" as const,
      }));
      const result = await owner.client.contacts.bulkCreate.mutate({ workspaceId: ws, contacts: rows });
      expect(result.created).toBe(1_000);
      expect(Number((await app.sql`SELECT count(*)::int AS n FROM contacts WHERE workspace_id = ${ws}`)[0]!.n)).toBe(
        1_000,
      );
      expect(
        Number(
          (
            await app.sql`SELECT count(*)::int AS n FROM domain_events WHERE workspace_id = ${ws} AND type = 'contact.created'`
          )[0]!.n,
        ),
      ).toBe(1_000);
      const tooMany = await errorOf(
        owner.client.contacts.bulkCreate.mutate({ workspaceId: ws, contacts: [...rows, { name: "one more" }] }),
      );
      expect(tooMany.code).toBe("BAD_REQUEST");
    });

    it("is all-or-nothing and reports bad rows by index", async () => {
      const before = await countContacts();
      const invalid = await errorOf(
        owner.client.contacts.bulkCreate.mutate({
          workspaceId,
          contacts: [{ name: "Fine" }, { name: "Bad", email: "nope" }, { name: "" }],
        }),
      );
      expect(invalid.code).toBe("BAD_REQUEST");
      expect(invalid.data.zodIssues.map((i: { path: string[] }) => i.path)).toEqual([
        ["contacts", "1", "email"],
        ["contacts", "2", "name"],
      ]);
      const conflicting = await errorOf(
        owner.client.contacts.bulkCreate.mutate({
          workspaceId,
          contacts: [
            { name: "New", email: "new1@example.org" },
            { name: "Ben again", email: "ben@example.org" },
            { name: "Twin", email: "NEW1@example.org" },
          ],
        }),
      );
      expect(conflicting.code).toBe("CONFLICT");
      const rows = conflicting.data.details.rows;
      expect(rows.map((r: { index: number }) => r.index)).toEqual([1, 2]);
      expect(rows[0].existingContactId).toEqual(expect.any(String));
      expect(await countContacts()).toBe(before);
    });
  });

  describe("soft delete, restore and purge", () => {
    it("deletes softly, hides from list and get, and restores within the retention period", async () => {
      const c = await owner.client.contacts.create.mutate({ workspaceId, name: "Dora", email: "dora@example.org" });
      const deleted = await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [c.id] });
      expect(deleted.deletedIds).toEqual([c.id]);
      expect(deleted.restorableUntil.getTime() - deleted.deletedAt.getTime()).toBe(30 * 86_400_000);
      expect((await errorOf(owner.client.contacts.get.query({ workspaceId, contactId: c.id }))).code).toBe("NOT_FOUND");
      const bin = await owner.client.contacts.list.query({ workspaceId, deleted: true });
      expect(bin.items.map((x) => x.id)).toContain(c.id);
      // The list answers the same contact (every field, dates as Dates) as the write did.
      expect(bin.items.find((x) => x.id === c.id)).toEqual({ ...c, deletedAt: deleted.deletedAt });
      const live = await owner.client.contacts.list.query({ workspaceId, search: "dora" });
      expect(live.items).toHaveLength(0);
      // Deleting again: nothing left to delete.
      expect((await errorOf(owner.client.contacts.delete.mutate({ workspaceId, contactIds: [c.id] }))).code).toBe(
        "NOT_FOUND",
      );
      clock.advance(29 * 86_400_000);
      owner = await app.signIn(owner);
      const restored = await owner.client.contacts.restore.mutate({ workspaceId, contactId: c.id });
      expect(restored.deletedAt).toBeNull();
      expect(await countEvents("contact.restored")).toBeGreaterThan(0);
    });

    it("restoring is refused when the email was taken meanwhile", async () => {
      const c = await owner.client.contacts.create.mutate({ workspaceId, name: "Eve", email: "eve@example.org" });
      await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [c.id] });
      const replacement = await owner.client.contacts.create.mutate({
        workspaceId,
        name: "Eve New",
        email: "eve@example.org",
      });
      const error = await errorOf(owner.client.contacts.restore.mutate({ workspaceId, contactId: c.id }));
      expect(error.code).toBe("CONFLICT");
      expect(error.data.details.existingContactId).toBe(replacement.id);
    });

    it("the purge job (through BullMQ) removes contacts deleted more than 30 days ago, with their interactions", async () => {
      const old = await owner.client.contacts.create.mutate({ workspaceId, name: "Old", email: "old@example.org" });
      await owner.client.interactions.create.mutate({
        workspaceId,
        contactId: old.id,
        type: "call",
        direction: "inbound",
        occurredAt: clock.now(),
        subject: "Catch-up",
      });
      const recent = await owner.client.contacts.create.mutate({ workspaceId, name: "Recent" });
      await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [old.id] });
      clock.advance(20 * 86_400_000);
      owner = await app.signIn(owner);
      await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [recent.id] });
      clock.advance(11 * 86_400_000);
      owner = await app.signIn(owner);
      expect((await errorOf(owner.client.contacts.restore.mutate({ workspaceId, contactId: old.id }))).code).toBe(
        "NOT_FOUND",
      );

      expect(app.runtime.queue.driver).toBe("bullmq");
      const jobId = await app.runtime.queue.enqueue("contacts.purge-deleted", {});
      let status = await app.runtime.queue.status(jobId);
      for (let i = 0; i < 100 && status?.state !== "completed" && status?.state !== "failed"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await app.runtime.queue.status(jobId);
      }
      expect(status?.state).toBe("completed");
      expect((status?.result as { purged: number } | undefined)?.purged).toBeGreaterThanOrEqual(1);
      expect(await app.sql`SELECT id FROM contacts WHERE id = ${old.id}`).toHaveLength(0);
      expect(await app.sql`SELECT id FROM interactions WHERE contact_id = ${old.id}`).toHaveLength(0);
      expect(await app.sql`SELECT id FROM contacts WHERE id = ${recent.id}`).toHaveLength(1);
      const [audit] = await app.sql`SELECT action FROM audit_log WHERE target_id = ${old.id}`;
      expect(audit!.action).toBe("contact.purged");
    });

    it("the purge is scheduled daily as a BullMQ job scheduler", async () => {
      const { Queue } = await import("bullmq");
      const queue = new Queue("rapport", {
        connection: { host: "127.0.0.1", port: 6379 },
        prefix: `${app.redisPrefix}bull`,
      });
      const schedulers = await queue.getJobSchedulers();
      await queue.close();
      expect(schedulers.map((s) => [s.key, s.pattern])).toContainEqual(["contacts.purge-deleted", "15 3 * * *"]);
    });
  });
});

describe.each(["postgres", "pglite"] as const)("contacts.count on %s", (driver) => {
  let app: TestApp;
  afterAll(() => app?.close());

  it("is exact up to 10,000 and then says '10,000 or more' without counting further", async () => {
    app = await createTestApp({ driver });
    const owner = await app.signUp("Counter");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Many" })).id;
    await app.query`INSERT INTO contacts (workspace_id, name, tags)
      SELECT ${workspaceId}::uuid, 'Person ' || g, CASE WHEN g % 2 = 0 THEN ARRAY['even'] ELSE '{}' END
      FROM generate_series(1, 10000) g`;
    expect(await owner.client.contacts.count.query({ workspaceId })).toEqual({ count: 10_000, exact: true });
    expect(await owner.client.contacts.count.query({ workspaceId, tag: "even" })).toEqual({
      count: 5_000,
      exact: true,
    });
    await owner.client.contacts.create.mutate({ workspaceId, name: "One more" });
    expect(await owner.client.contacts.count.query({ workspaceId })).toEqual({ count: 10_000, exact: false });
    expect(await owner.client.contacts.count.query({ workspaceId, search: "one" })).toEqual({ count: 1, exact: true });
    // The bulk actions act on every match: asked, they count past the bound.
    const dry = await owner.client.contacts.bulk.mutate({ workspaceId, filter: {}, action: "delete", dryRun: true });
    expect(dry).toMatchObject({ matched: 10_001, jobId: null, result: null });
    expect(await owner.client.contacts.count.query({ workspaceId })).toEqual({ count: 10_000, exact: false });
  }, 120_000);
});

describe.each(["postgres", "pglite"] as const)("contacts.list orders on %s", (driver) => {
  let app: TestApp;
  afterAll(() => app?.close());

  it("sorts by name, email, company and both dates, each both ways, empty values last, paging each row once", async () => {
    const clock = new ManualClock(new Date("2026-05-01T09:00:00Z"));
    app = await createTestApp({ driver, clock });
    const owner = await app.signUp("Sorter");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Orders" })).id;
    const made: [string, string | null, string | null][] = [
      ["Bo", "zeta", "z@x.example"],
      ["Al", null, null],
      ["Cy", "alpha", "a@x.example"],
      ["Di", "Beta", "m@x.example"],
    ];
    for (const [name, company, email] of made) {
      clock.advance(60_000);
      await owner.client.contacts.create.mutate({ workspaceId, name, company, email });
    }
    const names = async (sort: string, limit = 1) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: { name: string }[]; nextCursor: string | null } = await owner.client.contacts.list.query({
          workspaceId,
          sort: sort as "name",
          limit,
          cursor,
        });
        seen.push(...page.items.map((c) => c.name));
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    };
    expect(await names("name")).toEqual(["Al", "Bo", "Cy", "Di"]);
    expect(await names("name_desc")).toEqual(["Di", "Cy", "Bo", "Al"]);
    expect(await names("company")).toEqual(["Cy", "Di", "Bo", "Al"]);
    expect(await names("company_desc")).toEqual(["Bo", "Di", "Cy", "Al"]);
    expect(await names("email")).toEqual(["Cy", "Di", "Bo", "Al"]);
    expect(await names("email_desc")).toEqual(["Bo", "Di", "Cy", "Al"]);
    expect(await names("created")).toEqual(["Di", "Cy", "Al", "Bo"]);
    expect(await names("created_asc")).toEqual(["Bo", "Al", "Cy", "Di"]);
    expect(await names("updated_asc")).toEqual(["Bo", "Al", "Cy", "Di"]);

    // More empty values (NULL and ''), a value two contacts share, and pages of 1 to 3 rows:
    // Z–A reads the non-empty values and then the empty ones (two runs of the index), and
    // either way a page may end on, or run across, the boundary; every row comes once.
    await app.query`INSERT INTO contacts (workspace_id, name, company, email) VALUES
      (${workspaceId}::uuid, 'Ed', '', NULL), (${workspaceId}::uuid, 'Fa', NULL, ''),
      (${workspaceId}::uuid, 'Gu', 'alpha', 'g@x.example'), (${workspaceId}::uuid, 'Hy', '', NULL)`;
    const rows = await app.query<{ id: string; name: string; email: string | null; company: string | null }>`
      SELECT id, name, email, company FROM contacts WHERE workspace_id = ${workspaceId}::uuid`;
    for (const field of ["email", "company"] as const) {
      const byId = (a: (typeof rows)[number], b: (typeof rows)[number]) => (a.id < b.id ? -1 : 1);
      const text = (r: (typeof rows)[number]) => (r[field] ?? "").toLowerCase();
      const filled = rows.filter((r) => text(r) !== "").sort((a, b) => text(a).localeCompare(text(b)) || byId(a, b));
      const empty = rows.filter((r) => text(r) === "").sort(byId);
      expect(empty.length).toBeGreaterThan(1);
      for (const limit of [1, 2, 3]) {
        expect(await names(field, limit)).toEqual([...filled, ...empty].map((r) => r.name));
        const reversed = [...[...filled].reverse(), ...[...empty].reverse()];
        expect(await names(`${field}_desc`, limit)).toEqual(reversed.map((r) => r.name));
      }
    }
  }, 60_000);
});
