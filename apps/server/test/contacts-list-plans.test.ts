/**
 * The contacts list sorted by email or by company reads a page from an index (migration
 * 0030) instead of sorting the workspace's every contact: on 20,000 contacts, every
 * statement a page sends, first page, next page, across the end of the non-empty values
 * and among the empty ones, in both directions, is planned as a walk of the order's index
 * with no Sort node, both as Postgres plans it for the values (custom plan) and as a
 * prepared statement may end up running it (generic plan).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type SignedInUser, type TestApp } from "./support/app";

interface Unsafe {
  unsafe(text: string, params?: unknown[], options?: unknown): Promise<unknown>;
}
interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Scan Direction"?: string;
  Plans?: PlanNode[];
}

const CONTACTS = 20_000;
const SORTS = ["email", "email_desc", "company", "company_desc"] as const;
type Sort = (typeof SORTS)[number];

const cursorOf = (key: string, id: string) => Buffer.from(JSON.stringify([key, id]), "utf8").toString("base64url");
const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];
/** A parameter as an SQL literal (the list's are strings and numbers). */
const literal = (value: unknown) =>
  typeof value === "number" ? String(value) : `'${String(value).replaceAll("'", "''")}'`;

describe("contacts.list by email and company on Postgres", () => {
  let app: TestApp;
  let owner: SignedInUser;
  let workspaceId: string;
  let recording: { text: string; params: unknown[] }[] | null = null;

  beforeAll(async () => {
    app = await createTestApp({ driver: "postgres" });
    owner = await app.signUp("Planner");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Large" })).id;
    // Every tenth email and every seventh company empty (NULL, or '' for some companies), the
    // companies shared by 40 contacts each; a second workspace so workspace_id must narrow.
    await app.sql.unsafe(
      `INSERT INTO contacts (workspace_id, name, email, company)
       SELECT $1::uuid, 'Person ' || g,
              CASE WHEN g % 10 = 0 THEN NULL ELSE 'p' || md5(g::text) || '@x.example' END,
              CASE WHEN g % 7 = 0 THEN NULL WHEN g % 7 = 1 THEN '' ELSE 'Co ' || (g % 500) END
       FROM generate_series(1, ${CONTACTS}) g`,
      [workspaceId],
    );
    const other = (await owner.client.workspaces.create.mutate({ name: "Other" })).id;
    await app.sql.unsafe(
      `INSERT INTO contacts (workspace_id, name) SELECT $1::uuid, 'Other ' || g FROM generate_series(1, 2000) g`,
      [other],
    );
    await app.sql.unsafe("ANALYZE contacts");

    // Every statement the server sends through its pool, recorded while `recording` is set
    // (as bench/search-explain.ts times them): hot reads skip the pool's `unsafe` unless
    // the shortcut is removed.
    const client = (app.runtime.database.db as unknown as { $client: Unsafe }).$client;
    const unsafe = client.unsafe.bind(client);
    client.unsafe = (text, params, options) => {
      recording?.push({ text, params: params ?? [] });
      return unsafe(text, params, options) as never;
    };
    for (const symbol of Object.getOwnPropertySymbols(client)) {
      if (symbol.description === "rapport.poolQuery") delete (client as unknown as Record<symbol, unknown>)[symbol];
    }
  }, 120_000);
  afterAll(() => app?.close());

  /** The list statements one page sends, and the page. */
  const page = async (sort: Sort, cursor: string | null) => {
    recording = [];
    try {
      const result = await owner.client.contacts.list.query({ workspaceId, sort, limit: 50, cursor });
      return { result, statements: recording.filter((s) => /\bAS sort_key\b/.test(s.text)) };
    } finally {
      recording = null;
    }
  };

  const expectIndexWalk = (plan: PlanNode, sort: Sort, what: string) => {
    const all = nodes(plan);
    const scans = all.filter((n) => n["Relation Name"] === "contacts");
    const label = `${sort}, ${what}: ${JSON.stringify(plan)}`;
    expect(scans, label).toHaveLength(1);
    expect(scans[0]!["Node Type"], label).toMatch(/^Index (Only )?Scan$/);
    expect(scans[0]!["Index Name"], label).toBe(`contacts_list_${sort.split("_")[0]}_idx`);
    expect(scans[0]!["Scan Direction"], label).toBe(sort.endsWith("_desc") ? "Backward" : "Forward");
    expect(
      all.filter((n) => /Sort/.test(n["Node Type"])),
      label,
    ).toEqual([]);
  };

  const explainBoth = async (statement: { text: string; params: unknown[] }) => {
    const [custom] = (await app.sql.unsafe(`EXPLAIN (FORMAT JSON) ${statement.text}`, statement.params as never[])) as {
      "QUERY PLAN": [{ Plan: PlanNode }];
    }[];
    let generic: PlanNode | undefined;
    await app.sql.begin(async (tx) => {
      await tx.unsafe("SET LOCAL plan_cache_mode = force_generic_plan");
      await tx.unsafe(`PREPARE list_page AS ${statement.text}`);
      const [row] = (await tx.unsafe(
        `EXPLAIN (FORMAT JSON) EXECUTE list_page(${statement.params.map(literal).join(", ")})`,
      )) as unknown as { "QUERY PLAN": [{ Plan: PlanNode }] }[];
      generic = row!["QUERY PLAN"][0].Plan;
      await tx.unsafe("DEALLOCATE list_page");
    });
    return { custom: custom!["QUERY PLAN"][0].Plan, generic: generic! };
  };

  it.each(SORTS)(
    "%s: each page's statements walk the index, none sorts",
    async (sort) => {
      const field = sort.startsWith("email") ? "email" : "company";
      const checked: string[] = [];
      const check = async (what: string, cursor: string | null, statementsExpected: number) => {
        const { result, statements } = await page(sort, cursor);
        expect(statements, what).toHaveLength(statementsExpected);
        for (const [i, statement] of statements.entries()) {
          const { custom, generic } = await explainBoth(statement);
          expectIndexWalk(custom, sort, `${what}, statement ${i + 1}, custom plan`);
          expectIndexWalk(generic, sort, `${what}, statement ${i + 1}, generic plan`);
        }
        checked.push(what);
        return result;
      };

      const first = await check("first page", null, 1);
      expect(first.items).toHaveLength(50);
      const second = await check("second page", first.nextCursor, 1);
      expect(second.items).toHaveLength(50);
      expect(second.items[0]!.id).not.toBe(first.items[0]!.id);

      // The tenth-last non-empty value (in this order) as the cursor: the page ends the
      // non-empty ones and goes on into the empty ones (a second statement Z–A).
      const [near] = (await app.sql.unsafe(
        `SELECT id, lower(${field}) AS text FROM contacts
       WHERE workspace_id = $1 AND coalesce(${field}, '') <> '' AND deleted_at IS NULL
       ORDER BY lower(${field}) ${sort.endsWith("_desc") ? "ASC, id ASC" : "DESC, id DESC"} LIMIT 1 OFFSET 10`,
        [workspaceId],
      )) as { id: string; text: string }[];
      const across = await check(
        "across the empty ones",
        cursorOf(`0:${near!.text}`, near!.id),
        sort.endsWith("_desc") ? 2 : 1,
      );
      expect(across.items.map((c) => Boolean(c[field]))).toEqual([
        ...Array.from({ length: 10 }, () => true),
        ...Array.from({ length: 40 }, () => false),
      ]);

      // Among the empty ones.
      await check("among the empty ones", across.nextCursor, 1);
      expect(checked).toHaveLength(4);
    },
    60_000,
  );
});
