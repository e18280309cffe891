import {
  compareMatches,
  matchFields,
  normalizeQuery,
  phoneDigits,
  prefixTsQuery,
  escapeLike,
  type SearchField,
  type SearchHighlight,
  type SearchMatch,
  type SearchTier,
} from "@rapport/core";
import type { InteractionType } from "@rapport/core";
import { queryRows, queryRowsPrepared, type Executor } from "@rapport/db";
import { sql, type SQL } from "drizzle-orm";
import type { ServiceDeps } from "../../platform/deps";
import type { SearchQueryInput, SearchSuggestInput, SearchType } from "./schemas";

type ContactSearchField = "name" | "email" | "company" | "title" | "phone" | "tags";
type InteractionSearchField = "subject" | "summary";

export interface ContactHit {
  id: string;
  name: string;
  email: string | null;
  company: string | null;
  title: string | null;
  /** Processing restricted (GDPR Art. 18): found so it can be managed; its interactions are not searched. */
  restricted: boolean;
  tier: SearchTier;
  highlights: SearchHighlight<ContactSearchField>[];
}

export interface InteractionHit {
  id: string;
  contactId: string;
  contactName: string;
  type: InteractionType;
  occurredAt: Date;
  subject: string | null;
  tier: SearchTier;
  highlights: SearchHighlight<InteractionSearchField>[];
}

export interface SearchGroup<T> {
  items: T[];
  /** More matches than were returned. */
  more: boolean;
}

export interface SearchResults {
  contacts: SearchGroup<ContactHit>;
  interactions: SearchGroup<InteractionHit>;
}

/**
 * pg_trgm's word similarity at or above which a word counts as a typo of the query: one
 * wrong letter in a six-letter name ("jonsen" for "jensen") scores about 0.43.
 */
const FUZZY_THRESHOLD = "0.4";
/**
 * Rows a trigram scan reads before the most similar are kept. Common letters match a large
 * share of a workspace (every "Jonas" is 0.43 from "jonsen"), and ordering them all by
 * similarity would cost in proportion; the first ones the index yields are ranked instead.
 */
const FUZZY_SCAN = 200;
/** Newest interactions a search reads first, before asking the full-text index for all matches. */
const RECENT_SCAN = 1_000;
/** The last code point: every string starting with a prefix sorts (bytewise) before prefix + this. */
const PREFIX_END = "\u{10FFFF}";

interface ContactRow {
  id: string;
  name: string;
  email: string | null;
  company: string | null;
  title: string | null;
  phone: string | null;
  tags: string[];
  restricted: boolean;
  similarity: number | string;
}

interface InteractionRow {
  id: string;
  contact_id: string;
  contact_name: string;
  type: InteractionType;
  occurred_at: Date | string;
  subject: string | null;
  summary: string | null;
  similarity: number | string;
}

/** What the database is asked for, derived once from the query text. */
interface QueryPlan {
  text: string;
  /** Every query word as a word prefix, or null when the query has no letters or digits. */
  tsQuery: string | null;
  /** The phone digits when the query looks like a phone number. */
  digits: string | null;
  /** Whether typo-tolerant matching applies (trigrams need three characters). */
  fuzzy: boolean;
}

function planQuery(q: string): QueryPlan {
  const whole = normalizeQuery(q);
  const digits = phoneDigits(q);
  return { text: q, tsQuery: prefixTsQuery(q), digits, fuzzy: whole.length >= 3 || digits !== null };
}

/** Not erased (GDPR Art. 17): an erased contact's row stays, anonymous, and must not be found. */
const notErased = (contactId: SQL) => sql`NOT EXISTS (
  SELECT 1 FROM gdpr_operations o
  WHERE o.subject_kind = 'contact' AND o.subject_id = ${contactId}
    AND o.type = 'contact_erasure' AND o.status = 'completed')`;

const restricted = (contactId: SQL) => sql`EXISTS (
  SELECT 1 FROM gdpr_restrictions r WHERE r.subject_kind = 'contact' AND r.subject_id = ${contactId})`;

/** Stored by the database (generated columns, migration 0014). */
const contactText = sql`c.search_text`;
const contactDoc = sql`c.search_doc`;
const contactColumns = sql`c.id, c.name, c.email, c.company, c.title, c.phone, c.tags, ${restricted(sql`c.id`)} AS restricted`;

const interactionColumns = sql`i.id, i.contact_id, c.name AS contact_name, i.type, i.occurred_at, i.subject, i.summary`;

/**
 * One search over a workspace's contacts and interactions. The database finds a bounded
 * set of candidates through its indexes, in an order that approximates the ranking, and
 * `@rapport/core` ranks them and says what matched:
 *
 * - contacts: exact and prefix matches on the name, email and company, each the first
 *   `limit + 1` in that field's order (b-tree ranges); when those do not fill the page,
 *   full-text word prefixes; when those do not either, trigram similarity (typos, and
 *   text inside words).
 * - interactions: the newest `limit`-fold full-text matches (the planner walks the
 *   workspace's timeline for common words and the full-text index for rare ones); when
 *   too few, the subjects most similar to the query.
 *
 * Every step reads at most a few hundred rows whatever the workspace's size, so a page of
 * a very common word holds its best matches among the first found, not among all of them.
 */
export class SearchService {
  constructor(private readonly deps: ServiceDeps) {}

  async query(input: SearchQueryInput): Promise<SearchResults> {
    const types = new Set<SearchType>(input.types ?? ["contact", "interaction"]);
    const plan = planQuery(input.q);
    // Sequential on purpose: on PGlite there is one connection, and on Postgres a
    // request holding two pool connections halves how many searches run at once.
    const contacts = types.has("contact")
      ? await this.searchContacts(input.workspaceId, plan, input.limit)
      : { items: [], more: false };
    const interactions = types.has("interaction")
      ? await this.searchInteractions(input.workspaceId, plan, input.limit)
      : { items: [], more: false };
    return { contacts, interactions };
  }

  /** Autocomplete: contacts only, the same ranking. */
  async suggest(input: SearchSuggestInput): Promise<{ items: ContactHit[] }> {
    const { items } = await this.searchContacts(input.workspaceId, planQuery(input.q), input.limit);
    return { items };
  }

  private async searchContacts(workspaceId: string, plan: QueryPlan, limit: number): Promise<SearchGroup<ContactHit>> {
    // One more than the page, to know whether there is more.
    const take = limit + 1;
    const inWorkspace = sql`c.workspace_id = ${workspaceId}::uuid AND c.deleted_at IS NULL AND ${notErased(sql`c.id`)}`;
    const candidates = new Candidates<ContactRow>();
    const whole = normalizeQuery(plan.text);
    if (whole) {
      // Exact matches sort first in each field's order, then its prefixes. The range is
      // spelled out (text_pattern_ops' byte order, which is also the ORDER BY's) so that a
      // prepared statement's generic plan reads it from the index as a custom plan would.
      const inOrder = (field: SQL) =>
        sql`(SELECT c.id FROM contacts c
             WHERE ${inWorkspace} AND search_fold(${field}) ~>=~ ${whole} AND search_fold(${field}) ~<~ ${whole + PREFIX_END}
               AND search_fold(${field}) LIKE ${likePrefix(plan.text)}
             ORDER BY search_fold(${field}) USING ~<~, c.id LIMIT ${sql.raw(String(take))})`;
      candidates.add(
        await queryRowsPrepared<ContactRow>(
          this.deps.db,
          sql`SELECT ${contactColumns}, 0 AS similarity FROM contacts c
              WHERE c.id IN (${inOrder(sql`c.name`)} UNION ALL ${inOrder(sql`c.email`)} UNION ALL ${inOrder(sql`c.company`)})`,
        ),
      );
    }
    if (candidates.size < take && plan.tsQuery) {
      candidates.add(
        await queryRowsPrepared<ContactRow>(
          this.deps.db,
          sql`SELECT ${contactColumns}, 0 AS similarity FROM contacts c
              WHERE ${inWorkspace} AND ${contactDoc} @@ to_tsquery('simple', search_fold(${plan.tsQuery}))
              LIMIT ${sql.raw(String(Math.max(take * 3, 30) + candidates.size))}`,
        ),
      );
    }
    if (candidates.size < take && plan.fuzzy) {
      const infix = plan.digits ?? whole;
      candidates.add(
        await this.withFuzzyThreshold((tx) =>
          queryRows<ContactRow>(
            tx,
            sql`SELECT * FROM (
                  SELECT ${contactColumns}, word_similarity(search_fold(${plan.text}), ${contactText}) AS similarity
                  FROM contacts c
                  WHERE ${inWorkspace}
                    AND (search_fold(${plan.text}) <% ${contactText} OR ${contactText} LIKE ${likeInfix(infix)})
                  LIMIT ${FUZZY_SCAN}) found
                ORDER BY similarity DESC, id
                LIMIT ${take + candidates.size}`,
          ),
        ),
      );
    }
    return rank(
      candidates.rows.map((row) => ({
        match: matchFields(plan.text, contactFields(row)),
        similarity: Number(row.similarity),
        tieBreak: row.name.toLowerCase(),
        id: row.id,
        hit: (match: SearchMatch<ContactSearchField>): ContactHit => ({
          id: row.id,
          name: row.name,
          email: row.email,
          company: row.company,
          title: row.title,
          restricted: row.restricted,
          tier: match.tier,
          highlights: match.highlights,
        }),
      })),
      limit,
    );
  }

  private async searchInteractions(
    workspaceId: string,
    plan: QueryPlan,
    limit: number,
  ): Promise<SearchGroup<InteractionHit>> {
    const take = limit + 1;
    // Interactions of restricted contacts are not processed (GDPR Art. 18); an erased
    // contact's interactions have no subject or summary left to match.
    const visible = sql`i.workspace_id = ${workspaceId}::uuid AND c.deleted_at IS NULL AND NOT ${restricted(sql`i.contact_id`)}`;
    const candidates = new Candidates<InteractionRow>();
    if (plan.tsQuery) {
      const words = sql`i.search_doc @@ to_tsquery('simple', search_fold(${plan.tsQuery}))`;
      const page = sql.raw(String(take * 2));
      // The newest interactions first: a common word is among them, found without reading
      // its every match. Filtering after the limit keeps the read bounded.
      candidates.add(
        await queryRowsPrepared<InteractionRow>(
          this.deps.db,
          sql`SELECT ${interactionColumns}, 0 AS similarity
              FROM (SELECT * FROM interactions i WHERE i.workspace_id = ${workspaceId}::uuid
                    ORDER BY i.occurred_at DESC LIMIT ${sql.raw(String(RECENT_SCAN))}) i
              JOIN contacts c ON c.id = i.contact_id
              WHERE ${words} AND c.deleted_at IS NULL AND NOT ${restricted(sql`i.contact_id`)}
              ORDER BY i.occurred_at DESC, i.id DESC
              LIMIT ${page}`,
        ),
      );
      // A rarer word: all its matches through the full-text index, the newest kept. The
      // matches are gathered first (MATERIALIZED): ordered by date, the planner would walk
      // the whole timeline testing rows instead, having no good estimate for word prefixes.
      if (candidates.size < take) {
        candidates.add(
          await queryRowsPrepared<InteractionRow>(
            this.deps.db,
            sql`WITH found AS MATERIALIZED (
                  SELECT i.id, i.occurred_at FROM interactions i
                  WHERE i.workspace_id = ${workspaceId}::uuid AND ${words})
                SELECT ${interactionColumns}, 0 AS similarity
                FROM (SELECT id FROM found ORDER BY occurred_at DESC, id DESC LIMIT ${sql.raw(String(take * 4))}) newest
                JOIN interactions i ON i.id = newest.id
                JOIN contacts c ON c.id = i.contact_id
                WHERE c.deleted_at IS NULL AND NOT ${restricted(sql`i.contact_id`)}
                ORDER BY i.occurred_at DESC, i.id DESC
                LIMIT ${page}`,
          ),
        );
      }
    }
    if (candidates.size < take && plan.fuzzy && !plan.digits) {
      candidates.add(
        await this.withFuzzyThreshold((tx) =>
          queryRows<InteractionRow>(
            tx,
            sql`SELECT * FROM (
                  SELECT ${interactionColumns}, word_similarity(search_fold(${plan.text}), search_fold(i.subject)) AS similarity
                  FROM interactions i JOIN contacts c ON c.id = i.contact_id
                  WHERE ${visible} AND search_fold(${plan.text}) <% search_fold(i.subject)
                  LIMIT ${FUZZY_SCAN}) found
                ORDER BY similarity DESC, id
                LIMIT ${take + candidates.size}`,
          ),
        ),
      );
    }
    return rank(
      candidates.rows.map((row) => {
        const occurredAt = row.occurred_at instanceof Date ? row.occurred_at : new Date(row.occurred_at);
        return {
          match: matchFields<InteractionSearchField>(plan.text, [
            { field: "subject", value: row.subject },
            { field: "summary", value: row.summary },
          ]),
          similarity: Number(row.similarity),
          // Newest first among equals.
          tieBreak: -occurredAt.getTime(),
          id: row.id,
          hit: (match: SearchMatch<InteractionSearchField>): InteractionHit => ({
            id: row.id,
            contactId: row.contact_id,
            contactName: row.contact_name,
            type: row.type,
            occurredAt,
            subject: row.subject,
            tier: match.tier,
            highlights: match.highlights,
          }),
        };
      }),
      limit,
    );
  }

  /** Trigram operators read their threshold from a setting: set it for one read-only transaction. */
  private withFuzzyThreshold<T>(run: (tx: Executor) => Promise<T>): Promise<T> {
    return this.deps.transaction(async (tx) => {
      await tx.execute(sql`SELECT set_config('pg_trgm.word_similarity_threshold', ${FUZZY_THRESHOLD}, true)`);
      return run(tx);
    });
  }
}

/** Rows found by successive steps, each row once, in the order first found. */
class Candidates<R extends { id: string }> {
  readonly rows: R[] = [];
  private readonly seen = new Set<string>();

  get size(): number {
    return this.rows.length;
  }

  add(rows: R[]): void {
    for (const row of rows) {
      if (this.seen.has(row.id)) continue;
      this.seen.add(row.id);
      this.rows.push(row);
    }
  }
}

function contactFields(row: ContactRow): SearchField<ContactSearchField>[] {
  return [
    { field: "name", value: row.name },
    { field: "email", value: row.email },
    { field: "company", value: row.company },
    { field: "title", value: row.title },
    { field: "phone", value: row.phone, digits: true },
    { field: "tags", value: row.tags.length > 0 ? row.tags.join(", ") : null },
  ];
}

interface Candidate<F extends string, T> {
  match: SearchMatch<F> | null;
  similarity: number;
  tieBreak: string | number;
  id: string;
  hit(match: SearchMatch<F>): T;
}

/**
 * Best first. A candidate the database found by similarity but whose words share too
 * little to highlight (a typo across word boundaries) stays, last, unhighlighted.
 */
function rank<F extends string, T>(candidates: Candidate<F, T>[], limit: number): SearchGroup<T> {
  const ranked = candidates
    .map((candidate) => ({
      ...candidate,
      match: candidate.match ?? { tier: "fuzzy" as const, fieldRank: Number.MAX_SAFE_INTEGER, highlights: [] },
    }))
    .sort(
      (a, b) =>
        compareMatches(a, b) ||
        (a.tieBreak < b.tieBreak ? -1 : a.tieBreak > b.tieBreak ? 1 : 0) ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  return { items: ranked.slice(0, limit).map((c) => c.hit(c.match)), more: ranked.length > limit };
}

/** `LIKE` patterns over folded text; the folding happens in SQL, like the indexes'. */
function likePrefix(q: string): SQL {
  return sql`(${escapeLike(normalizeQuery(q))} || '%')`;
}

function likeInfix(value: string): SQL {
  return sql`('%' || ${escapeLike(value)} || '%')`;
}
