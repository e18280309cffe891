import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp, type TestDriver } from "./support/app";
import { joinWorkspace } from "./support/members";

/**
 * Search over a labelled set of people whose names carry accents, hyphens, apostrophes
 * and letters that transliterate (ø, ł, ü, ß), on Postgres and on the embedded PGlite:
 * the same queries must give the same results, in the same order, on both.
 */
const drivers: TestDriver[] = ["postgres", "pglite"];

const PEOPLE = [
  { name: "Anna Jensen-Holt", email: "anna.jensen@acme.com", company: "Acme", title: "CTO" },
  { name: "Anna Svensson", email: "anna@svensson.se", phone: "+46 (70) 123-4567", tags: ["vip"] },
  { name: "Hanna Jensen", email: "hanna@example.dk", company: "Nordlys" },
  { name: "Mark Lee", email: "mark@jp.example", company: "Jensen Partners" },
  { name: "Jens Berg", email: "jens@berg.no", company: "Berg AS" },
  { name: "José Álvarez", email: "jose.alvarez@ejemplo.es", company: "Ejemplo" },
  { name: "Jürgen Müller", email: "j.mueller@example.de", company: "Müller GmbH" },
  { name: "Björn Jørgensen", email: "bjorn@fjord.dk", company: "Fjord" },
  { name: "Zoë O'Brien", email: "zoe@obrien.ie", title: "Head of Sales" },
  { name: "Łukasz Wałęsa", email: "lukasz@gdansk.pl", company: "Stocznia" },
  { name: "Gregor Straße", email: "gregor@strasse.de" },
];

describe.each(drivers)("search on %s", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let workspaceId: string;
  const ids = new Map<string, string>();

  const search = (q: string, extra: { types?: ("contact" | "interaction")[]; limit?: number } = {}) =>
    owner.client.search.query.query({ workspaceId, q, ...extra });
  const names = async (q: string) => (await search(q, { types: ["contact"] })).contacts.items.map((c) => c.name);

  beforeAll(async () => {
    app = await createTestApp({ driver });
    owner = await app.signUp("Owner");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Search WS" })).id;
    for (const person of PEOPLE) {
      const contact = await owner.client.contacts.create.mutate({ workspaceId, ...person });
      ids.set(person.name, contact.id);
    }
    const at = (day: number) => new Date(Date.UTC(2026, 2, day, 10));
    await owner.client.interactions.create.mutate({
      workspaceId,
      contactId: ids.get("Anna Jensen-Holt")!,
      type: "meeting",
      direction: "outbound",
      occurredAt: at(3),
      subject: "Quarterly review with Acme",
      summary: "Discussed the renewal and the pricing for the Zürich office.",
    });
    await owner.client.interactions.create.mutate({
      workspaceId,
      contactId: ids.get("Hanna Jensen")!,
      type: "call",
      direction: "inbound",
      occurredAt: at(5),
      subject: "Intro call",
      summary: "Met at the conference in Malmö; wants a quarterly check-in.",
    });
  }, 60_000);
  afterAll(() => app?.close());

  it("exact matches come first, accent- and case-insensitively", async () => {
    const result = await search("jose alvarez", { types: ["contact"] });
    expect(result.contacts.items[0]).toMatchObject({ name: "José Álvarez", tier: "exact" });
    expect(result.contacts.items[0]!.highlights).toEqual([{ field: "name", text: "José Álvarez", ranges: [[0, 12]] }]);
    expect((await search("ŁUKASZ WAŁĘSA")).contacts.items[0]).toMatchObject({ name: "Łukasz Wałęsa", tier: "exact" });
    expect((await search("lukasz walesa")).contacts.items[0]).toMatchObject({ name: "Łukasz Wałęsa", tier: "exact" });
  });

  it("prefixes before words anywhere: 'anna' lists the Annas, then Hanna (inside a word)", async () => {
    const result = await search("anna", { types: ["contact"] });
    expect(result.contacts.items.map((c) => [c.name, c.tier])).toEqual([
      ["Anna Jensen-Holt", "prefix"],
      ["Anna Svensson", "prefix"],
      ["Hanna Jensen", "infix"],
    ]);
    expect(result.contacts.items[0]!.highlights[0]).toEqual({
      field: "name",
      text: "Anna Jensen-Holt",
      ranges: [[0, 4]],
    });
  });

  it("'jensen' finds the word inside a hyphenated name, after a company starting with it", async () => {
    const result = await search("jensen", { types: ["contact"] });
    const rows = result.contacts.items.map((c) => [c.name, c.tier]);
    expect(rows.slice(0, 3)).toEqual([
      ["Mark Lee", "prefix"],
      ["Anna Jensen-Holt", "word"],
      ["Hanna Jensen", "word"],
    ]);
    expect(result.contacts.items[1]!.highlights[0]).toEqual({
      field: "name",
      text: "Anna Jensen-Holt",
      ranges: [[5, 11]],
    });
    expect(result.contacts.items[0]!.highlights[0]).toMatchObject({ field: "company", ranges: [[0, 6]] });
  });

  it("several words may match across fields", async () => {
    const result = await search("anna acme", { types: ["contact"] });
    expect(result.contacts.items[0]).toMatchObject({ name: "Anna Jensen-Holt", tier: "word" });
    expect(result.contacts.items[0]!.highlights.map((h) => h.field)).toEqual(["name", "email", "company"]);
  });

  it("tolerates typos: 'jonsen' finds the Jensens, highlighting the word", async () => {
    const result = await search("jonsen", { types: ["contact"] });
    const found = result.contacts.items.map((c) => c.name);
    expect(found).toEqual(expect.arrayContaining(["Anna Jensen-Holt", "Hanna Jensen", "Mark Lee"]));
    for (const item of result.contacts.items) expect(item.tier).toBe("fuzzy");
    const anna = result.contacts.items.find((c) => c.name === "Anna Jensen-Holt")!;
    expect(anna.highlights[0]!.field).toBe("name");
    expect(anna.highlights[0]!.ranges).toEqual([[5, 11]]);
    expect(await names("Jurgen Mueler")).toContain("Jürgen Müller");
  });

  it("transliterations: ø, ł and ß fold to their letters; ue/oe spellings are found as near matches", async () => {
    expect((await search("jorgensen")).contacts.items[0]).toMatchObject({ name: "Björn Jørgensen", tier: "word" });
    expect((await search("strasse")).contacts.items[0]).toMatchObject({ name: "Gregor Straße", tier: "word" });
    expect(await names("joergensen")).toContain("Björn Jørgensen");
    // "mueller" is a word of the email; "müller" matches the name and (as a prefix) the company.
    expect((await search("mueller")).contacts.items[0]).toMatchObject({ name: "Jürgen Müller", tier: "word" });
    expect((await search("müller")).contacts.items[0]).toMatchObject({ name: "Jürgen Müller", tier: "prefix" });
  });

  it("apostrophes, titles, tags and phone numbers", async () => {
    expect((await search("o'brien")).contacts.items[0]).toMatchObject({ name: "Zoë O'Brien", tier: "word" });
    expect((await search("obrien")).contacts.items[0]).toMatchObject({ name: "Zoë O'Brien", tier: "word" });
    expect((await search("zoe")).contacts.items[0]).toMatchObject({ name: "Zoë O'Brien", tier: "prefix" });
    expect((await search("head of sales")).contacts.items[0]).toMatchObject({ name: "Zoë O'Brien", tier: "exact" });
    expect((await search("vip")).contacts.items[0]).toMatchObject({ name: "Anna Svensson", tier: "exact" });
    const byPhone = await search("123-4567");
    // Its digits are the phone's words here; "1234567" is found inside the number.
    expect(byPhone.contacts.items[0]).toMatchObject({ name: "Anna Svensson", tier: "word" });
    expect(byPhone.contacts.items[0]!.highlights).toEqual([
      {
        field: "phone",
        text: "+46 (70) 123-4567",
        ranges: [
          [9, 12],
          [13, 17],
        ],
      },
    ]);
    const byDigits = await search("1234567");
    expect(byDigits.contacts.items[0]).toMatchObject({ name: "Anna Svensson", tier: "infix" });
    expect(byDigits.contacts.items[0]!.highlights).toEqual([
      { field: "phone", text: "+46 (70) 123-4567", ranges: [[9, 17]] },
    ]);
    expect((await search("+46 70 123 4567")).contacts.items[0]).toMatchObject({ name: "Anna Svensson", tier: "exact" });
  });

  it("interactions: subject and summary, with the matched words highlighted", async () => {
    const result = await search("quarterly");
    expect(result.interactions.items.map((i) => [i.subject, i.tier, i.contactName])).toEqual([
      ["Quarterly review with Acme", "prefix", "Anna Jensen-Holt"],
      ["Intro call", "word", "Hanna Jensen"],
    ]);
    const zurich = (await search("zurich", { types: ["interaction"] })).interactions.items;
    expect(zurich).toHaveLength(1);
    expect(zurich[0]!.highlights).toEqual([
      {
        field: "summary",
        text: "Discussed the renewal and the pricing for the Zürich office.",
        ranges: [[46, 52]],
      },
    ]);
    expect(zurich[0]!.occurredAt).toBeInstanceOf(Date);
    const typo = (await search("quartrly review", { types: ["interaction"] })).interactions.items;
    expect(typo[0]).toMatchObject({ subject: "Quarterly review with Acme", tier: "fuzzy" });
  });

  it("typos are corrected against the workspace's words, kept as contacts and interactions change", async () => {
    const contact = await owner.client.contacts.create.mutate({ workspaceId, name: "Ingrid Fjellheim" });
    expect((await search("fjelheim", { types: ["contact"] })).contacts.items[0]).toMatchObject({
      name: "Ingrid Fjellheim",
      tier: "fuzzy",
    });
    await owner.client.contacts.update.mutate({
      workspaceId,
      contactId: contact.id,
      patch: { company: "Tromsøbanken" },
    });
    expect((await search("tromsobanen", { types: ["contact"] })).contacts.items[0]).toMatchObject({
      name: "Ingrid Fjellheim",
      highlights: [{ field: "company", text: "Tromsøbanken", ranges: [[0, 12]] }],
    });
    await owner.client.interactions.create.mutate({
      workspaceId,
      contactId: contact.id,
      type: "note",
      occurredAt: new Date(Date.UTC(2026, 2, 9)),
      subject: "Hydrogen pipeline",
    });
    // Several words, each corrected on its own; a one-letter word is a prefix.
    const typo = await search("hydrogan pipelime", { types: ["interaction"] });
    expect(typo.interactions.items.map((i) => [i.subject, i.tier])).toEqual([["Hydrogen pipeline", "fuzzy"]]);
    expect((await search("hydrogen p", { types: ["interaction"] })).interactions.items[0]?.subject).toBe(
      "Hydrogen pipeline",
    );
    // A word nothing uses any more leaves the vocabulary with the daily prune.
    await owner.client.contacts.update.mutate({ workspaceId, contactId: contact.id, patch: { company: "Nordlys" } });
    const vocabulary = async () =>
      (await app.query<{ term: string }>`SELECT term FROM search_terms WHERE workspace_id = ${workspaceId}::uuid`).map(
        (row) => row.term,
      );
    expect(await vocabulary()).toContain("tromsobanken");
    expect((await app.runtime.services.search.pruneTerms()).removed).toBeGreaterThan(0);
    expect(await vocabulary()).not.toContain("tromsobanken");
    expect(await vocabulary()).toEqual(expect.arrayContaining(["fjellheim", "hydrogen", "nordlys"]));
    await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [contact.id] });
  });

  it("suggest: contacts as you type, best first", async () => {
    const { items } = await owner.client.search.suggest.query({ workspaceId, q: "an", limit: 3 });
    // Two letters: name and word prefixes only (a typo needs at least three).
    expect(items.map((c) => c.name)).toEqual(["Anna Jensen-Holt", "Anna Svensson"]);
    expect(items[0]!.highlights[0]!.ranges).toEqual([[0, 2]]);
  });

  it("only the caller's workspace; any member may search; strangers get NOT_FOUND", async () => {
    const stranger = await app.signUp("Stranger");
    const other = (await stranger.client.workspaces.create.mutate({ name: "Other" })).id;
    await stranger.client.contacts.create.mutate({ workspaceId: other, name: "Anna Outsider" });
    expect(await names("anna")).not.toContain("Anna Outsider");
    expect((await errorOf(stranger.client.search.query.query({ workspaceId, q: "anna" }))).code).toBe("NOT_FOUND");
    expect((await errorOf(stranger.client.search.suggest.query({ workspaceId, q: "anna" }))).code).toBe("NOT_FOUND");
    const member = await app.signUp("Member");
    await joinWorkspace(owner, workspaceId, member, "member");
    const asMember = await member.client.search.query.query({ workspaceId, q: "anna" });
    expect(asMember.contacts.items.map((c) => c.name)).toContain("Anna Svensson");
    expect((await errorOf(app.client().search.query.query({ workspaceId, q: "anna" }))).code).toBe("UNAUTHORIZED");
  });

  it("bad input is a 400, never a 500", async () => {
    for (const input of [
      { workspaceId, q: "" },
      { workspaceId, q: "   " },
      { workspaceId, q: "x".repeat(201) },
      { workspaceId, q: "a\u0000b" },
      { workspaceId, q: "anna", limit: 0 },
      { workspaceId, q: "anna", types: [] },
      { workspaceId, q: "anna", types: ["user"] },
      { workspaceId, q: "anna", extra: 1 },
    ]) {
      expect((await errorOf(owner.client.search.query.query(input as never))).code).toBe("BAD_REQUEST");
    }
    // Query syntax characters are plain text.
    for (const q of ["%", "_", "\\", "'", "a & b | !c", "(:*)", "@@", "<%"]) {
      const result = await search(q);
      expect(result.contacts.items.every((c) => c.name.length > 0)).toBe(true);
    }
  });

  it("GDPR: deleted and erased contacts are not found; a restricted one is, flagged, without its interactions", async () => {
    const deleted = await owner.client.contacts.create.mutate({ workspaceId, name: "Dana Gone" });
    await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [deleted.id] });
    expect(await names("dana")).toEqual([]);

    const erased = await owner.client.contacts.create.mutate({
      workspaceId,
      name: "Erin Forgotten",
      email: "erin@forgotten.example",
    });
    await owner.client.interactions.create.mutate({
      workspaceId,
      contactId: erased.id,
      type: "note",
      occurredAt: new Date(Date.UTC(2026, 2, 7)),
      subject: "Erin's secret plans",
    });
    expect(await names("erin")).toEqual(["Erin Forgotten"]);
    await owner.client.gdpr.eraseContact.mutate({ workspaceId, contactId: erased.id, reason: "Art. 17 request" });
    expect(await names("erin")).toEqual([]);
    // The anonymous row's placeholder name is not a search hit either.
    expect(await names("erased contact")).toEqual([]);
    expect((await search("secret plans")).interactions.items).toEqual([]);
    // The words of her name and email left the typo vocabulary; words others use stay.
    const vocabulary = async () =>
      (await app.query<{ term: string }>`SELECT term FROM search_terms WHERE workspace_id = ${workspaceId}::uuid`).map(
        (row) => row.term,
      );
    expect(await vocabulary()).not.toEqual(expect.arrayContaining(["erin"]));
    expect(await vocabulary()).not.toEqual(expect.arrayContaining(["forgotten"]));
    expect(await vocabulary()).toEqual(expect.arrayContaining(["jensen", "quarterly", "example"]));

    await owner.client.gdpr.restrictContact.mutate({ workspaceId, contactId: ids.get("Hanna Jensen")! });
    const restricted = await search("hanna");
    expect(restricted.contacts.items[0]).toMatchObject({ name: "Hanna Jensen", restricted: true });
    expect(restricted.interactions.items).toEqual([]);
    expect((await search("intro call")).interactions.items).toEqual([]);
    expect((await search("anna")).contacts.items.find((c) => c.name === "Anna Svensson")?.restricted).toBe(false);
    await owner.client.gdpr.unrestrictContact.mutate({ workspaceId, contactId: ids.get("Hanna Jensen")! });
    expect((await search("intro call")).interactions.items.map((i) => i.subject)).toEqual(["Intro call"]);
  });

  it("limits per type and says when there is more", async () => {
    const result = await search("a", { limit: 2, types: ["contact"] });
    expect(result.contacts.items).toHaveLength(2);
    expect(result.contacts.more).toBe(true);
    expect(result.interactions).toEqual({ items: [], more: false });
  });

  it("a typo finds the closest contact even when many others match its corrections", async () => {
    const crowded = (await owner.client.workspaces.create.mutate({ name: "Crowded WS" })).id;
    // 150 Bergmanns first, then the one Bergman: stored last, read last by an unordered scan.
    await app.query`INSERT INTO contacts (workspace_id, name)
      SELECT ${crowded}::uuid, 'Mara Bergmann ' || chr(64 + g % 26) || chr(65 + g / 26) FROM generate_series(1, 150) g`;
    await owner.client.contacts.create.mutate({ workspaceId: crowded, name: "Mara Bergman" });
    const { contacts } = await owner.client.search.query.query({
      workspaceId: crowded,
      q: "bergmam",
      types: ["contact"],
      limit: 10,
    });
    expect(contacts.items[0]?.name).toBe("Mara Bergman");
  });

  it.each([
    ["first", 0],
    ["in the middle", 75],
    ["last", 150],
  ])(
    "a typo search keeps the contact whose other word is exact over many it only starts (stored %s)",
    async (_, before) => {
      const crowded = (await owner.client.workspaces.create.mutate({ name: "Anneliese WS" })).id;
      const anneliese = (from: number, to: number) => app.query`INSERT INTO contacts (workspace_id, name)
        SELECT ${crowded}::uuid, 'Anneliese Bergman ' || chr(65 + g % 26) || chr(65 + g / 26)
        FROM generate_series(${from}::int, ${to}::int) g`;
      if (before > 0) await anneliese(1, before);
      await app.query`INSERT INTO contacts (workspace_id, name) VALUES (${crowded}::uuid, 'Ann Bergman')`;
      if (before < 150) await anneliese(before + 1, 150);
      const { contacts } = await owner.client.search.query.query({
        workspaceId: crowded,
        q: "ann bergmam",
        types: ["contact"],
        limit: 10,
      });
      // "ann" is all of Ann's first name and only the start of Anneliese's.
      expect(contacts.items[0]?.name).toBe("Ann Bergman");
    },
  );

  it("a long history: words common among the newest are not looked up one by one, rare ones are", async () => {
    const contactId = (await owner.client.contacts.create.mutate({ workspaceId, name: "Paula Archive" })).id;
    // 1,200 interactions, half "Weekly sync" and half "Budget planning", newest last; the oldest
    // two say "Weekly budget planning" and "Zanzibar weekly sync".
    await app.query`
      INSERT INTO interactions (workspace_id, contact_id, type, direction, occurred_at, subject, source, created_at)
      SELECT ${workspaceId}::uuid, ${contactId}::uuid, 'note', NULL, timestamptz '2020-01-01' + g * interval '1 hour',
             CASE g WHEN 1 THEN 'Weekly budget planning' WHEN 2 THEN 'Zanzibar weekly sync'
                    ELSE CASE WHEN g % 2 = 0 THEN 'Weekly sync' ELSE 'Budget planning' END END,
             'manual', now()
      FROM generate_series(1, 1200) g`;
    const subjects = async (q: string) =>
      (await search(q, { types: ["interaction"] })).interactions.items.map((i) => i.subject);
    // Both words are in half of the newest 1,000, never together: read further back in time.
    expect(await subjects("weekly budget")).toEqual(["Weekly budget planning"]);
    // "zanzibar" is rare: through the index, tested for "weekly" there.
    expect(await subjects("zanzibar weekly")).toEqual(["Zanzibar weekly sync"]);
    expect((await search("weekly", { types: ["interaction"], limit: 3 })).interactions).toMatchObject({ more: true });
    await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [contactId] });
  });
});

describe("search gives the same results on Postgres and PGlite", () => {
  const QUERIES = [
    "anna",
    "jensen",
    "jonsen",
    "jen",
    "j",
    "anna jen",
    "jose",
    "álvarez",
    "alvares",
    "muller",
    "mueller",
    "jorgensen",
    "joergensen",
    "bjorn",
    "o'brien",
    "obrien",
    "lukasz",
    "walesa",
    "strasse",
    "straße",
    "acme",
    "acme.com",
    "nordlys",
    "berg",
    "jens",
    "sales",
    "vip",
    "4567",
    "+46 70",
    "quarterly",
    "zurich",
    "malmo",
    "renewal pricing",
    "quartrly",
    "intro",
    "jonsen anna",
    "zoe o",
    "hana",
    "acme q",
    "discused renewel",
  ];
  const apps: TestApp[] = [];

  beforeAll(async () => {
    for (const driver of drivers) {
      const app = await createTestApp({ driver });
      apps.push(app);
    }
  }, 60_000);
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it("for every labelled query", async () => {
    const outputs: unknown[][] = [];
    for (const app of apps) {
      const owner = await app.signUp("Owner");
      const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Parity" })).id;
      const byName = new Map<string, string>();
      for (const person of PEOPLE) {
        byName.set(person.name, (await owner.client.contacts.create.mutate({ workspaceId, ...person })).id);
      }
      await owner.client.interactions.create.mutate({
        workspaceId,
        contactId: byName.get("Anna Jensen-Holt")!,
        type: "meeting",
        direction: "outbound",
        occurredAt: new Date(Date.UTC(2026, 2, 3)),
        subject: "Quarterly review with Acme",
        summary: "Discussed the renewal and the pricing for the Zürich office.",
      });
      await owner.client.interactions.create.mutate({
        workspaceId,
        contactId: byName.get("Hanna Jensen")!,
        type: "call",
        direction: "inbound",
        occurredAt: new Date(Date.UTC(2026, 2, 5)),
        subject: "Intro call",
        summary: "Met at the conference in Malmö; wants a quarterly check-in.",
      });
      const output: unknown[] = [];
      for (const q of QUERIES) {
        const result = await owner.client.search.query.query({ workspaceId, q });
        const suggest = await owner.client.search.suggest.query({ workspaceId, q });
        output.push({
          q,
          contacts: result.contacts.items.map(({ name, tier, highlights }) => ({ name, tier, highlights })),
          interactions: result.interactions.items.map(({ subject, tier, highlights }) => ({
            subject,
            tier,
            highlights,
          })),
          suggest: suggest.items.map((c) => c.name),
        });
      }
      outputs.push(output);
    }
    expect(outputs[0]!.length).toBe(QUERIES.length);
    expect(outputs[1]).toEqual(outputs[0]);
    // And the set is not trivially empty.
    expect(outputs[0]!.filter((o) => (o as { contacts: unknown[] }).contacts.length > 0).length).toBeGreaterThan(25);
  }, 300_000);
});

describe("search's prepared statements on Postgres", () => {
  /**
   * Runs `test` on a Postgres app whose pool has one connection, so that pg_prepared_statements
   * lists exactly what its searches prepared, with a signed-in owner and a workspace of theirs.
   */
  const withOneConnection = async (
    workspaceName: string,
    test: (app: TestApp, owner: SignedInUser, workspaceId: string) => Promise<void>,
  ) => {
    const app = await createTestApp({ driver: "postgres", role: "api", env: { DATABASE_POOL_SIZE: "1" } });
    try {
      const owner = await app.signUp("Owner");
      const workspaceId = (await owner.client.workspaces.create.mutate({ name: workspaceName })).id;
      await test(app, owner, workspaceId);
    } finally {
      await app.close();
    }
  };

  it(
    "a word most contacts hold is tested contact by contact, a rare one is read through the index",
    () =>
      withOneConnection("Common words", async (app, owner, workspaceId) => {
        await owner.client.contacts.create.mutate({ workspaceId, name: "Anna Jensen", email: "anna@jensen.dk" });
        // Every other contact's email holds "mailbox"; no name, email or company starts with it.
        await app.query`
        INSERT INTO contacts (workspace_id, name, email, source)
        SELECT ${workspaceId}::uuid, 'Person ' || g, 'person' || g || '@mailbox.example', 'import'
        FROM generate_series(1, 5000) g`;
        await app.query`ANALYZE contacts`;
        const wordSteps = () =>
          app.query<{ statement: string }>`
          SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%worded AS MATERIALIZED%'`;

        // Through the index a generic plan would read all 5,000 before its LIMIT; tested in
        // turn, the first few dozen fill the page.
        const common = await owner.client.search.query.query({ workspaceId, q: "mailbox", types: ["contact"] });
        expect(common.contacts.items).toHaveLength(10);
        expect(common.contacts.items.every((c) => c.email?.endsWith("@mailbox.example"))).toBe(true);
        const afterCommon = await wordSteps();
        expect(afterCommon).toHaveLength(1);
        expect(afterCommon[0]!.statement).toMatch(/\) IS TRUE/);

        // A name only one contact holds is read through the index, not by testing 5,001 contacts.
        const rare = await owner.client.search.query.query({ workspaceId, q: "jensen", types: ["contact"] });
        expect(rare.contacts.items.map((c) => c.name)).toEqual(["Anna Jensen"]);
        const afterRare = (await wordSteps()).map((row) => row.statement).filter((text) => !/\) IS TRUE/.test(text));
        expect(afterRare).toHaveLength(1);
      }),
    60_000,
  );

  it(
    "a word the interactions' statistics call rare is looked up in the index without reading the newest",
    () =>
      withOneConnection("Statistics", async (app, owner, workspaceId) => {
        const { id: contactId } = await owner.client.contacts.create.mutate({ workspaceId, name: "Anna Jensen" });
        await app.query`
        INSERT INTO interactions (workspace_id, contact_id, type, occurred_at, subject, source)
        SELECT ${workspaceId}::uuid, ${contactId}::uuid, 'note', timestamptz '2026-01-01' + g * interval '1 hour',
               'Weekly sync', 'manual'
        FROM generate_series(1, 200) g`;
        await app.query`ANALYZE interactions`;
        const newestReads = async () =>
          (
            await app.query<{ reads: number }>`
            SELECT count(*)::int AS reads FROM pg_prepared_statements WHERE statement LIKE '%LIMIT 1000%'`
          )[0]?.reads;

        // Every interaction holds "weekly", none "jensen": the name goes to the index at once.
        const byName = await owner.client.search.query.query({ workspaceId, q: "jensen" });
        expect(byName.contacts.items.map((c) => c.name)).toEqual(["Anna Jensen"]);
        expect(byName.interactions.items).toEqual([]);
        expect(await newestReads()).toBe(0);

        // A common word is found among the newest.
        const common = await owner.client.search.query.query({ workspaceId, q: "weekly", types: ["interaction"] });
        expect(common.interactions.items).toHaveLength(10);
        expect(await newestReads()).toBe(1);

        // Words the statistics (read above) do not know pass for rare, but a lookup may miss
        // newer matches: "zebra" has more than it reads; the newest "yak" are a trashed
        // contact's, left out after the lookup kept them. Either way the newest are read.
        const contact = async (name: string) => (await owner.client.contacts.create.mutate({ workspaceId, name })).id;
        const [kept, trashed] = [await contact("Kept Contact"), await contact("Trashed Contact")];
        const insert = (id: string, from: string, rows: number, subject: string) => app.query`
        INSERT INTO interactions (workspace_id, contact_id, type, occurred_at, subject, source)
        SELECT ${workspaceId}::uuid, ${id}::uuid, 'note', ${from}::timestamptz + g * interval '1 hour', ${subject}, 'manual'
        FROM generate_series(1, ${rows}) g`;
        await insert(contactId, "2027-01-01", 600, "Zebra crossing");
        await insert(kept, "2025-01-01", 10, "Yak talk");
        await insert(trashed, "2028-01-01", 50, "Yak talk");
        await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [trashed] });
        const dates = async (q: string) =>
          (await owner.client.search.query.query({ workspaceId, q, types: ["interaction"] })).interactions.items.map(
            (i) => new Date(i.occurredAt).toISOString(),
          );
        const newest = async (subject: string, contactId: string) =>
          (
            await app.query<{ at: Date | string }>`
            SELECT occurred_at AS at FROM interactions
            WHERE subject = ${subject} AND contact_id = ${contactId}::uuid ORDER BY occurred_at DESC LIMIT 10`
          ).map(({ at }) => new Date(at).toISOString());
        expect(await dates("zebra")).toEqual(await newest("Zebra crossing", contactId));
        expect(await dates("yak")).toEqual(await newest("Yak talk", kept));
        expect(await dates("yak")).toHaveLength(10);
      }),
    60_000,
  );

  it(
    "statements a search repeats are planned once, and a lookup that finds too few asks for the typo alternatives",
    () =>
      withOneConnection("Plans", async (app, owner, workspaceId) => {
        for (const person of PEOPLE) await owner.client.contacts.create.mutate({ workspaceId, ...person });
        const { id: contactId } = await owner.client.contacts.create.mutate({ workspaceId, name: "Paula Weekly" });
        await app.query`
        INSERT INTO interactions (workspace_id, contact_id, type, occurred_at, subject, source)
        SELECT ${workspaceId}::uuid, ${contactId}::uuid, 'note', timestamptz '2026-01-01' + g * interval '1 hour',
               'Weekly sync', 'manual'
        FROM generate_series(1, 200) g`;
        // Enough other contacts that the planner's default guess for a tsquery it cannot see
        // (a share of all rows) costs more than its estimate for the query's own words.
        await app.query`
        INSERT INTO contacts (workspace_id, name, company, source)
        SELECT ${workspaceId}::uuid, 'Person ' || g, 'Company ' || (g % 50), 'import'
        FROM generate_series(1, 20000) g`;
        await app.query`ANALYZE interactions`;
        await app.query`ANALYZE contacts`;
        const prepared = (pattern: string) =>
          app.query<{ statement: string; generic: number; custom: number }>`
          SELECT statement, generic_plans::int AS generic, custom_plans::int AS custom
          FROM pg_prepared_statements WHERE statement LIKE ${pattern}`;

        // Postgres plans a prepared statement for its parameters five times, then keeps a generic
        // plan only if it looks no worse: the query words' tsquery computed once per statement
        // (not for each row tested) is what makes it look so. Two words, which the contacts'
        // statement also asks the typo alternatives for.
        for (let run = 0; run < 8; run++) {
          const { contacts } = await owner.client.search.query.query({
            workspaceId,
            q: `anna ${"jensen".slice(0, 3 + (run % 4))}`,
            types: ["contact"],
          });
          expect(contacts.items.length).toBeGreaterThan(0);
        }
        const contactsStatements = await prepared("WITH prefixed AS%");
        expect(contactsStatements).toHaveLength(1);
        expect(contactsStatements[0]).toMatchObject({ custom: 5, generic: 3 });

        // "weeky" is in no interaction (rare by the statistics): the index lookup that finds
        // nothing also brings its alternatives ("weekly"), which find the newest "Weekly sync".
        const { interactions } = await owner.client.search.query.query({
          workspaceId,
          q: "weeky",
          types: ["interaction"],
        });
        expect(interactions.items).toHaveLength(10);
        expect(interactions.items.every((i) => i.subject === "Weekly sync")).toBe(true);
        expect(await prepared("SELECT q.token%")).toEqual([]);
        expect(await prepared("WITH found_rows AS%")).toHaveLength(1);
      }),
    60_000,
  );

  it(
    "one typo read per number of query words, however many alternatives each word has",
    () =>
      withOneConnection("Statements", async (app, owner, workspaceId) => {
        for (const person of PEOPLE) await owner.client.contacts.create.mutate({ workspaceId, ...person });
        // One-word typos whose words have from one to several alternatives in this vocabulary.
        const typos = ["jonsen", "alvares", "hana", "joergensen", "strase", "walesa", "bjorm"];
        for (const q of typos) {
          const { contacts } = await owner.client.search.query.query({ workspaceId, q, types: ["contact"] });
          expect(contacts.items.length, q).toBeGreaterThan(0);
        }
        const [prepared] = await app.query<{ typoReads: number }>`
        SELECT count(*)::int AS "typoReads" FROM pg_prepared_statements WHERE statement LIKE '%AS closeness%'`;
        expect(prepared?.typoReads).toBe(1);
      }),
    60_000,
  );
});
