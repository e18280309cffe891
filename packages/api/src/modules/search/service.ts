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
import { queryRows, type Executor } from "@rapport/db";
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
/** Candidates read per index before ranking (the ranking keeps the best `limit`). */
const WORD_CANDIDATES = 200;
const FUZZY_CANDIDATES = 100;

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

const contactText = sql`contact_search_text(c.name, c.email, c.company, c.title, c.phone, c.tags)`;
const contactDoc = sql`contact_search_doc(c.name, c.email, c.company, c.title, c.phone, c.tags)`;
const contactColumns = sql`c.id, c.name, c.email, c.company, c.title, c.phone, c.tags, ${restricted(sql`c.id`)} AS restricted`;

const interactionColumns = sql`i.id, i.contact_id, c.name AS contact_name, i.type, i.occurred_at, i.subject, i.summary`;

/**
 * One search over a workspace's contacts and interactions. The database finds candidates
 * through its indexes (name prefixes in order, full-text word prefixes, then trigram
 * similarity when those leave room); `@rapport/core` ranks them and says what matched.
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
    const inWorkspace = sql`c.workspace_id = ${workspaceId}::uuid AND c.deleted_at IS NULL AND ${notErased(sql`c.id`)}`;
    const branches: SQL[] = [
      // Name prefixes in name order, so the best matches survive however many words match.
      sql`(SELECT c.id FROM contacts c
           WHERE ${inWorkspace} AND search_fold(c.name) LIKE ${likePrefix(plan.text)}
           ORDER BY search_fold(c.name), c.id LIMIT ${Math.max(limit * 3, 20)})`,
    ];
    if (plan.tsQuery) {
      branches.push(sql`(SELECT c.id FROM contacts c
           WHERE ${inWorkspace} AND ${contactDoc} @@ to_tsquery('simple', search_fold(${plan.tsQuery}))
           LIMIT ${WORD_CANDIDATES})`);
    }
    const rows = await queryRows<ContactRow>(
      this.deps.db,
      sql`SELECT ${contactColumns}, 0 AS similarity FROM contacts c
          WHERE c.id IN (${sql.join(branches, sql` UNION `)})`,
    );
    if (rows.length <= limit && plan.fuzzy) {
      rows.push(...(await this.fuzzyContacts(plan, inWorkspace, new Set(rows.map((row) => row.id)))));
    }
    return rank(
      rows.map((row) => ({
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

  private async fuzzyContacts(plan: QueryPlan, inWorkspace: SQL, seen: Set<string>): Promise<ContactRow[]> {
    const infix = plan.digits ?? normalizeQuery(plan.text);
    const rows = await this.withFuzzyThreshold((tx) =>
      queryRows<ContactRow>(
        tx,
        sql`SELECT ${contactColumns}, word_similarity(search_fold(${plan.text}), ${contactText}) AS similarity
            FROM contacts c
            WHERE ${inWorkspace}
              AND (search_fold(${plan.text}) <% ${contactText} OR ${contactText} LIKE ${likeInfix(infix)})
            ORDER BY similarity DESC, c.id
            LIMIT ${FUZZY_CANDIDATES + seen.size}`,
      ),
    );
    return rows.filter((row) => !seen.has(row.id));
  }

  private async searchInteractions(
    workspaceId: string,
    plan: QueryPlan,
    limit: number,
  ): Promise<SearchGroup<InteractionHit>> {
    // Interactions of restricted contacts are not processed (GDPR Art. 18); an erased
    // contact's interactions have no subject or summary left to match.
    const visible = sql`i.workspace_id = ${workspaceId}::uuid AND c.deleted_at IS NULL AND NOT ${restricted(sql`i.contact_id`)}`;
    const rows = plan.tsQuery
      ? await queryRows<InteractionRow>(
          this.deps.db,
          sql`SELECT ${interactionColumns}, 0 AS similarity
              FROM interactions i JOIN contacts c ON c.id = i.contact_id
              WHERE ${visible} AND interaction_search_doc(i.subject, i.summary) @@ to_tsquery('simple', search_fold(${plan.tsQuery}))
              ORDER BY i.occurred_at DESC, i.id DESC
              LIMIT ${WORD_CANDIDATES}`,
        )
      : [];
    if (rows.length <= limit && plan.fuzzy && !plan.digits) {
      const seen = new Set(rows.map((row) => row.id));
      const fuzzy = await this.withFuzzyThreshold((tx) =>
        queryRows<InteractionRow>(
          tx,
          sql`SELECT ${interactionColumns}, word_similarity(search_fold(${plan.text}), search_fold(i.subject)) AS similarity
              FROM interactions i JOIN contacts c ON c.id = i.contact_id
              WHERE ${visible} AND search_fold(${plan.text}) <% search_fold(i.subject)
              ORDER BY similarity DESC, i.id
              LIMIT ${FUZZY_CANDIDATES + seen.size}`,
        ),
      );
      rows.push(...fuzzy.filter((row) => !seen.has(row.id)));
    }
    return rank(
      rows.map((row) => {
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
