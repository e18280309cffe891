import {
  compareMatches,
  estimatedShare,
  matchFields,
  normalizeQuery,
  phoneDigits,
  queryTokens,
  quoteLexeme,
  SHARE_KNOWN_FROM,
  wordsTsQuery,
  escapeLike,
  type LexemeStatistics,
  type SearchField,
  type SearchHighlight,
  type SearchMatch,
  type SearchTier,
} from "@rapport/core";
import type { InteractionType } from "@rapport/core";
import { queryRows, queryRowsPrepared } from "@rapport/db";
import { sql, type SQL } from "drizzle-orm";
import type { ServiceDeps } from "../../platform/deps";
import { contactNotErased } from "../../platform/privacy/operations";
import { contactRestricted } from "../../platform/privacy/restriction";
import type { SearchQueryInput, SearchSuggestInput, SearchType } from "./schemas";
import { deleteUnusedTerms } from "./terms";

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
 * pg_trgm's similarity at or above which a workspace word counts as a typo of a query
 * word (pg_trgm's default, which its `%` operator uses): one wrong letter in a six-letter
 * name ("jonsen" for "jensen") scores 0.4.
 */
const FUZZY_THRESHOLD = 0.3;
/** Workspace words a query word may stand for (the most similar, words containing it first). */
const TERMS_PER_WORD = 6;
/** Workspace words a query word starts whose closeness ranks a typo read's pool (the most similar). */
const COMPLETIONS_PER_WORD = 3;
/**
 * A typo read ranks its pool by how each query word is found in a document, in the order
 * the results are ranked: the word itself (1), a word it starts (from PREFIX_SCORE), a word
 * containing it (from INFIX_SCORE), a typo (from 0); within each, by the pg_trgm similarity
 * of the word found, scaled into a third.
 */
const PREFIX_SCORE = 2 / 3;
const INFIX_SCORE = 1 / 3;
const SIMILARITY_SCALE = 1 / 3;
/**
 * A typo-tolerant read takes up to FUZZY_POOL matching rows (in no order: the index cannot
 * rank by similarity), and Postgres returns the most similar FUZZY_SCAN_PER_RESULT per result
 * asked for: the pool decides which close matches can be found, the page needs only the best.
 */
const FUZZY_POOL = 200;
const FUZZY_SCAN_PER_RESULT = 5;
/** Newest interactions a search reads first, before asking the full-text index for all matches. */
const RECENT_SCAN = 1_000;
/** Matches read through the full-text index, of which the newest are kept. */
const INDEXED_SCAN = 500;
/**
 * A word matching fewer of the newest RECENT_SCAN interactions than this (0.5 %) is rare
 * enough to look up in the full-text index; the others are tested on what it finds.
 */
const RARE_AMONG_RECENT = 5;
/** Newest interactions read when every word of the query is common but not together. */
const COMMON_SCAN = 5_000;
/** How long a table's lexeme statistics (which words are common) are used before they are read again. */
const STATISTICS_TTL_MS = 5 * 60_000;
/** The tables whose lexeme statistics a search reads. */
type StatisticsTable = "contacts" | "interactions";
/**
 * The share of contacts holding every query word (by the table's statistics, the words
 * taken as independent) from which the contacts' word step tests the workspace's contacts
 * in turn rather than reading the full-text index: at 0.2 % a page of 43 is found within
 * ~20,000 contacts (~2.6 ms), about what the index costs for the words' matches.
 */
const CONTACT_SCAN_SHARE = 0.002;
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
  words: WordsMatch | null;
  /** The phone digits when the query looks like a phone number. */
  digits: string | null;
  /** Whether typo-tolerant matching applies (trigrams need three characters). */
  fuzzy: boolean;
  /** The words with typo-tolerant alternatives (asked for once, when needed), or null when there are none. */
  typoWords: () => Promise<TypoWords | null>;
  /** The same, once a step has asked for them; null before. */
  typoWordsAsked: () => Promise<TypoWords | null> | null;
  /**
   * The statement that finds the typo alternatives (see alternativesQuery), for a step to
   * ask along with its own; null when no query word is corrected.
   */
  typoQuery: SQL | null;
  /** Hands over the alternatives another statement found with typoQuery. */
  typoFound: (rows: AlternativeRow[]) => void;
  /** typoQuery while no statement has asked for the alternatives yet; null once one has. */
  typoPending: () => SQL | null;
}

interface AlternativeRow {
  token: string;
  term: string;
  similarity: number | string;
}

/** A workspace word, and how similar a query word and it are (pg_trgm). */
interface Alternative {
  term: string;
  similarity: number;
}

/** A query word's forms in the workspace's vocabulary. */
interface WordForms {
  /** The closest words it starts (not the word itself), at most COMPLETIONS_PER_WORD. */
  completions: Alternative[];
  /** The words it may stand for (containing it, or similar), at most TERMS_PER_WORD. */
  alternatives: Alternative[];
}

/** The query words with their alternatives, and how close a document holding some of them is. */
interface TypoWords extends WordsMatch {
  /**
   * For each query word, the score of the closest form of it the document holds (see
   * PREFIX_SCORE), summed over the words. The forms are whole words from the same
   * vocabulary the documents are made of, so testing which of them a document holds (a
   * lookup in its sorted lexemes) ranks it as the similarity of its closest word would,
   * without computing trigrams over its whole text.
   */
  closeness: (doc: SQL) => SQL;
}

/**
 * A full-text condition on a tsvector, word by word (each with its alternatives). Over
 * interactions, only rare words are looked up in the index (see SearchService.lookup);
 * a one-letter word never is: every indexed word starting with that letter would be read.
 * A digit may be: numbers starting with it are far fewer.
 */
interface WordsMatch {
  /** Each query word, with its alternatives, in to_tsquery syntax. */
  parts: string[];
  /** Whether the word may be looked up in the interactions' index by itself. */
  indexable: boolean[];
  /** Each word as the start of a lexeme, with the lexemes standing for it (see estimatedShare). */
  forms: { prefix: string; terms: readonly string[] }[];
  /** Every word. */
  all: (doc: SQL) => SQL;
}

const tsQueryOf = (parts: string[]) => sql`to_tsquery('simple', search_fold(${parts.join(" & ")}))`;
/**
 * The same, computed once per statement (an InitPlan) rather than for every row it is
 * tested on: in a prepared statement's generic plan the query text is a parameter, and
 * `to_tsquery(search_fold($n))` would be folded again for each of thousands of rows. The
 * planner, which cannot look into it either way, then costs the generic plan like a custom
 * one and keeps it instead of planning every run again.
 */
const tsQueryOnce = (parts: string[]) => sql`(SELECT ${tsQueryOf(parts)})`;

function wordsMatch(tokens: string[], alternatives?: ReadonlyMap<string, readonly string[]>): WordsMatch | null {
  if (tokens.length === 0) return null;
  const parts = tokens.map((token) => wordsTsQuery([token], alternatives));
  return {
    parts,
    indexable: tokens.map((token) => token.length > 1 || /\d/.test(token)),
    forms: tokens.map((token) => ({ prefix: token, terms: alternatives?.get(token) ?? [] })),
    all: (doc) => sql`${doc} @@ ${tsQueryOnce(parts)}`,
  };
}

function typoWords(tokens: string[], forms: ReadonlyMap<string, WordForms>): TypoWords | null {
  const words = wordsMatch(
    tokens,
    new Map(
      [...forms].map(([token, { alternatives }]) => [token, alternatives.map((alternative) => alternative.term)]),
    ),
  );
  if (!words) return null;
  const holds = (doc: SQL, [lexemes, score]: ScoredForm) =>
    sql`CASE WHEN ${doc} @@ ${tsQueryOnce([lexemes])} THEN ${score}::real ELSE 0 END`;
  return {
    ...words,
    closeness: (doc) =>
      sql.join(
        tokens.map(
          (token) =>
            sql`GREATEST(${sql.join(
              scoredForms(token, forms.get(token)).map((form) => holds(doc, form)),
              sql`, `,
            )})`,
        ),
        sql` + `,
      ),
  };
}

/** A form of a query word in to_tsquery syntax, and the closeness of a document holding it. */
type ScoredForm = [lexemes: string, score: number];

/**
 * A query word's forms, scored (see PREFIX_SCORE), always as many whatever the vocabulary
 * holds: a prepared statement's text then depends on the number of query words only, not
 * on how many forms each has (which would make a connection keep a statement for every
 * combination). A missing form is filled with the word itself at 0, which cannot raise
 * the word's maximum.
 */
function scoredForms(token: string, forms: WordForms | undefined): ScoredForm[] {
  const exact = quoteLexeme(token);
  const filled = (scored: ScoredForm[], slots: number): ScoredForm[] => [
    ...scored,
    ...Array.from({ length: slots - scored.length }, (): ScoredForm => [exact, 0]),
  ];
  return [
    [exact, 1],
    // Any word it starts; those it starts that are closest score by their similarity.
    [wordsTsQuery([token]), PREFIX_SCORE],
    ...filled(
      (forms?.completions ?? []).map(({ term, similarity }) => [
        quoteLexeme(term),
        PREFIX_SCORE + similarity * SIMILARITY_SCALE,
      ]),
      COMPLETIONS_PER_WORD,
    ),
    ...filled(
      (forms?.alternatives ?? []).map(({ term, similarity }) => [
        quoteLexeme(term),
        (term.includes(token) ? INFIX_SCORE : 0) + similarity * SIMILARITY_SCALE,
      ]),
      TERMS_PER_WORD,
    ),
  ];
}

function planQuery(q: string, workspaceId: string, deps: ServiceDeps): QueryPlan {
  const whole = normalizeQuery(q);
  const digits = phoneDigits(q);
  const tokens = queryTokens(q);
  // Query words of three letters or more without digits: typos in numbers are not corrected.
  const correctable = [...new Set(tokens.filter((token) => token.length >= 3 && !/\d/.test(token)))];
  let typo: Promise<TypoWords | null> | null = null;
  let found: Map<string, WordForms> | null | undefined;
  const typoQuery = correctable.length > 0 ? alternativesQuery(workspaceId, correctable) : null;
  const alternatives = async () => {
    if (found !== undefined) return found;
    if (!typoQuery) return null;
    return alternativesOf(await queryRowsPrepared<AlternativeRow>(deps.db, typoQuery));
  };
  return {
    text: q,
    words: wordsMatch(tokens),
    digits,
    fuzzy: whole.length >= 3 || digits !== null,
    typoWords: () => (typo ??= alternatives().then((terms) => (terms ? typoWords(tokens, terms) : null))),
    typoWordsAsked: () => typo,
    typoQuery,
    typoFound: (rows) => {
      found ??= alternativesOf(rows);
    },
    typoPending: () => (typo === null && found === undefined ? typoQuery : null),
  };
}

/**
 * For each query word given (three letters or more, no digits), the workspace words it
 * may stand for: those containing it ("anna" → "hanna") and those
 * most similar to it ("jonsen" → "jensen"), from the trigram-indexed vocabulary (words
 * it starts are found by the word prefix already); and the words it starts that are
 * closest to it ("ann" → "anna" before "anneliese"), which only rank what is found. Each
 * with its similarity.
 */
function alternativesQuery(workspaceId: string, correctable: string[]): SQL {
  // Similarity at or above pg_trgm's default threshold, which `%` (and so the index) uses;
  // spelled out too, so a server configured otherwise cannot widen it.
  return sql`SELECT q.token, t.term, t.similarity
        FROM unnest(ARRAY[${sql.join(
          correctable.map((token) => sql`${token}`),
          sql`, `,
        )}]::text[]) q(token)
        CROSS JOIN LATERAL (
          (SELECT s.term, similarity(s.term, q.token) AS similarity FROM search_terms s
           WHERE s.workspace_id = ${workspaceId}::uuid
             AND s.term NOT LIKE (q.token || '%')
             AND ((s.term % q.token AND similarity(s.term, q.token) >= ${FUZZY_THRESHOLD}::real)
                  OR s.term LIKE ('%' || q.token || '%'))
           ORDER BY s.term LIKE ('%' || q.token || '%') DESC, similarity(s.term, q.token) DESC, s.term
           LIMIT ${sql.raw(String(TERMS_PER_WORD))})
          UNION ALL
          (SELECT s.term, similarity(s.term, q.token) AS similarity FROM search_terms s
           WHERE s.workspace_id = ${workspaceId}::uuid AND s.term LIKE (q.token || '%') AND s.term <> q.token
           ORDER BY similarity(s.term, q.token) DESC, s.term
           LIMIT ${sql.raw(String(COMPLETIONS_PER_WORD))})) t`;
}

/**
 * The forms by query word (a word it starts is a completion, any other an alternative);
 * null when no word has an alternative, so that nothing new would be found.
 */
function alternativesOf(rows: AlternativeRow[]): Map<string, WordForms> | null {
  const forms = new Map<string, WordForms>();
  let alternatives = 0;
  for (const row of rows) {
    const form = { term: row.term, similarity: Number(row.similarity) };
    const word = forms.get(row.token) ?? { completions: [], alternatives: [] };
    forms.set(row.token, word);
    if (row.term.startsWith(row.token)) word.completions.push(form);
    else {
      word.alternatives.push(form);
      alternatives++;
    }
  }
  return alternatives > 0 ? forms : null;
}

/** The alternatives a statement returned as three arrays over the same rows (array_agg of token, term, similarity). */
function aggregatedAlternatives(
  row: { tokens: string[] | null; terms: string[] | null; similarities: unknown[] | null } | undefined,
): AlternativeRow[] {
  const { tokens, terms, similarities } = row ?? { tokens: null, terms: null, similarities: null };
  if (!tokens || !terms || !similarities) return [];
  return tokens.map((token, i) => ({ token, term: terms[i] ?? "", similarity: Number(similarities[i]) }));
}

/**
 * The rows of `statement` and, in the same statement while no other has asked for them
 * (see QueryPlan.typoPending), the query words' typo alternatives when fewer than `take`
 * of its rows match `counted` (over `f`): the search's next step needs them then, and
 * asking now saves it a round trip. They are handed to the plan only when asked for:
 * otherwise a later step asks as before.
 */
async function rowsAskingTypo<R extends object>(
  deps: ServiceDeps,
  plan: QueryPlan | null,
  statement: SQL,
  counted: SQL,
  take: number,
): Promise<R[]> {
  const corrections = plan?.typoPending();
  if (!plan || !corrections) return queryRowsPrepared<R>(deps.db, statement);
  const asked = sql`((SELECT count(*) FROM found_rows f WHERE ${counted}) < ${sql.raw(String(take))})`;
  const rows = await queryRowsPrepared<
    R & {
      listed: boolean | null;
      asked: boolean;
      tokens: string[] | null;
      terms: string[] | null;
      similarities: unknown[] | null;
    }
  >(
    deps.db,
    sql`WITH found_rows AS MATERIALIZED (${statement}),
          corrections AS MATERIALIZED (SELECT k.token, k.term, k.similarity FROM (${corrections}) k WHERE ${asked})
        SELECT a.asked, a.tokens, a.terms, a.similarities, r.*
        FROM (SELECT ${asked} AS asked, array_agg(x.token) AS tokens, array_agg(x.term) AS terms,
                     array_agg(x.similarity) AS similarities
              FROM corrections x) a
        LEFT JOIN LATERAL (SELECT true AS listed, f.* FROM found_rows f) r ON true`,
  );
  const first = rows[0];
  if (first?.asked) {
    plan.typoFound(aggregatedAlternatives(first));
  }
  // Without rows of its own, the statement's one row carries only the alternatives.
  return rows.filter((row) => row.listed === true);
}

/** Stored by the database (generated columns, migration 0014). */
const contactText = sql`c.search_text`;
const contactDoc = sql`c.search_doc`;
const contactColumns = sql`c.id, c.name, c.email, c.company, c.title, c.phone, c.tags, ${contactRestricted(sql`c.id`)} AS restricted`;

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
  private readonly statistics = new Map<StatisticsTable, { readAt: number; read: Promise<LexemeStatistics> }>();

  constructor(private readonly deps: ServiceDeps) {}

  async query(input: SearchQueryInput): Promise<SearchResults> {
    const types = new Set<SearchType>(input.types ?? ["contact", "interaction"]);
    const plan = planQuery(input.q, input.workspaceId, this.deps);
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
    const { items } = await this.searchContacts(
      input.workspaceId,
      planQuery(input.q, input.workspaceId, this.deps),
      input.limit,
    );
    return { items };
  }

  /**
   * Removes from every workspace's typo vocabulary the words nothing uses any more (purged
   * contacts, deleted or edited interactions), one workspace at a time.
   */
  async pruneTerms(): Promise<{ workspaces: number; removed: number }> {
    const workspaces = await queryRows<{ id: string }>(
      this.deps.db,
      sql`SELECT DISTINCT workspace_id AS id FROM search_terms ORDER BY 1`,
    );
    let removed = 0;
    for (const { id } of workspaces) removed += await deleteUnusedTerms(this.deps.db, id);
    return { workspaces: workspaces.length, removed };
  }

  private async searchContacts(workspaceId: string, plan: QueryPlan, limit: number): Promise<SearchGroup<ContactHit>> {
    // One more than the page, to know whether there is more.
    const take = limit + 1;
    const inWorkspace = sql`c.workspace_id = ${workspaceId}::uuid AND c.deleted_at IS NULL AND ${contactNotErased(sql`c.id`)}`;
    const candidates = new Candidates<ContactRow>();
    const whole = normalizeQuery(plan.text);
    // Exact matches sort first in each field's order, then its prefixes. The range is
    // spelled out (text_pattern_ops' byte order, which is also the ORDER BY's) so that a
    // prepared statement's generic plan reads it from the index as a custom plan would.
    const inOrder = (field: SQL) =>
      sql`(SELECT c.id FROM contacts c
           WHERE ${inWorkspace} AND search_fold(${field}) ~>=~ ${whole} AND search_fold(${field}) ~<~ ${whole + PREFIX_END}
             AND search_fold(${field}) LIKE ${likePrefix(plan.text)}
           ORDER BY search_fold(${field}) USING ~<~, c.id LIMIT ${sql.raw(String(take))})`;
    const prefixed = whole
      ? sql`${inOrder(sql`c.name`)} UNION ALL ${inOrder(sql`c.email`)} UNION ALL ${inOrder(sql`c.company`)}`
      : null;
    // Contacts are looked up by every word, one letter or not: the index's read is bounded
    // by the number of contacts, and a one-letter query is what the palette asks first.
    // Only when the exact and prefix matches do not fill the page, and then as many more as
    // they found (some may be among them): asked in the same statement, decided there.
    const byWords = plan.words ? await this.contactWordsCondition(plan.words) : null;
    if (prefixed || byWords) {
      const prefixCount = sql`(SELECT count(DISTINCT p.id) FROM prefixed p)`;
      const found = sql`SELECT p.id FROM prefixed p${byWords ? sql` UNION ALL SELECT w.id FROM worded w` : sql``}`;
      const steps = sql`WITH prefixed AS MATERIALIZED (${prefixed ?? sql`SELECT c.id FROM contacts c WHERE false`})${
        byWords
          ? sql`, worded AS MATERIALIZED (
              SELECT c.id FROM contacts c
              WHERE ${inWorkspace} AND ${byWords} AND ${prefixCount} < ${sql.raw(String(take))}
              LIMIT ${prefixCount} + ${sql.raw(String(Math.max(take * 3, 30)))})`
          : sql``
      }`;
      const rows = sql`SELECT ${contactColumns}, 0 AS similarity FROM contacts c WHERE c.id IN (${found})`;
      // When these do not fill the page either, the typo step below needs the query words'
      // alternatives: found in the same statement (one round trip fewer), and only then.
      const corrections = plan.fuzzy && !plan.digits ? plan.typoQuery : null;
      if (corrections) {
        const read = await queryRowsPrepared<
          Partial<ContactRow> & { tokens: string[] | null; terms: string[] | null; similarities: unknown[] | null }
        >(
          this.deps.db,
          sql`${steps}, corrections AS MATERIALIZED (
                SELECT k.token, k.term, k.similarity FROM (${corrections}) k
                WHERE (SELECT count(DISTINCT f.id) FROM (${found}) f) < ${sql.raw(String(take))})
              SELECT a.tokens, a.terms, a.similarities, r.*
              FROM (SELECT array_agg(x.token) AS tokens, array_agg(x.term) AS terms, array_agg(x.similarity) AS similarities
                    FROM corrections x) a
              LEFT JOIN LATERAL (${rows}) r ON true`,
        );
        // A row without a contact carries only the alternatives (none of the contacts matched).
        candidates.add(read.filter((row): row is ContactRow & (typeof read)[number] => typeof row.id === "string"));
        if (candidates.size < take) {
          plan.typoFound(aggregatedAlternatives(read[0]));
        }
      } else {
        candidates.add(await queryRowsPrepared<ContactRow>(this.deps.db, sql`${steps} ${rows}`));
      }
    }
    if (candidates.size < take && plan.fuzzy) {
      // Typos and words inside words, through the vocabulary and the full-text index;
      // a phone number's digits anywhere in it, through the trigram index.
      const typo = plan.digits ? null : await plan.typoWords();
      const found = typo
        ? sql`${contactDoc} @@ ${tsQueryOnce(typo.parts)}`
        : plan.digits
          ? sql`${contactText} LIKE ${likeInfix(plan.digits)}`
          : null;
      // Folded once per statement, not for each row compared (see tsQueryOnce).
      const folded = sql`(SELECT search_fold(${plan.text}))`;
      // Which rows of the pool are closest: by the closest form of each word they hold (see
      // TypoWords); digits, which have no vocabulary, by the whole-word trigram measure
      // (word_similarity ties for every word sharing the query's trigrams).
      const closeness = typo ? typo.closeness(contactDoc) : sql`strict_word_similarity(${folded}, ${contactText})`;
      if (found) {
        candidates.add(
          await queryRowsPrepared<ContactRow>(
            this.deps.db,
            // Only the closest are read in full (columns, restriction, the similarity ranked on).
            sql`SELECT ${contactColumns}, word_similarity(${folded}, ${contactText}) AS similarity
                FROM (
                  SELECT id FROM (
                    SELECT c.id, ${closeness} AS closeness
                    FROM contacts c WHERE ${inWorkspace} AND ${found}
                    LIMIT ${sql.raw(String(Math.max(FUZZY_POOL, take * FUZZY_SCAN_PER_RESULT)))}
                  ) AS pool
                  ORDER BY closeness DESC
                  LIMIT ${sql.raw(String(take * FUZZY_SCAN_PER_RESULT))}
                ) AS closest
                JOIN contacts c ON c.id = closest.id`,
          ),
        );
      }
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
    const candidates = new Candidates<InteractionRow>();
    const typoCapable = plan.fuzzy && !plan.digits;
    // When the contacts' search already asked for the typo alternatives, the newest
    // interactions are read once for both the words and their alternatives.
    const typoKnown = typoCapable ? await plan.typoWordsAsked() : null;
    const passes = [plan.words, typoKnown].filter((words): words is WordsMatch => words !== null);
    const indexed =
      passes.length > 0 ? await this.indexFirst(workspaceId, typoCapable ? plan : null, passes, take) : null;
    const recent = passes.length > 0 && !indexed ? await this.recentWithWords(workspaceId, passes, take) : [];
    const knownTypoRecent = typoKnown && !indexed ? recent[passes.length - 1]! : null;
    // The alternatives' lookup, when asked along with the words' (see below).
    let typoLookup: InteractionRow[] | null = null;
    if (plan.words && indexed) {
      candidates.add(indexed[0]!);
    } else if (plan.words) {
      candidates.add(recent[0]!.rows);
      if (candidates.size < take) {
        const words = this.lookup(workspaceId, plan.words, take, recent[0]!.hits);
        // When the alternatives are known and their matches among the newest cannot fill
        // the page either, their lookup follows whatever the words' finds (it is skipped only
        // when those fill the page, rare for a word that is not among the newest): both are
        // asked in one statement, one round trip instead of two.
        if (
          typoKnown &&
          knownTypoRecent &&
          candidates.size + knownTypoRecent.rows.filter((row) => !candidates.has(row.id)).length < take
        ) {
          const typo = this.lookup(workspaceId, typoKnown, take, knownTypoRecent.hits);
          const rows = await queryRowsPrepared<InteractionRow & { pass: number | string }>(
            this.deps.db,
            sql`SELECT 0 AS pass, w.* FROM (${words}) w UNION ALL SELECT 1 AS pass, t.* FROM (${typo}) t`,
          );
          candidates.add(rows.filter((row) => Number(row.pass) === 0));
          typoLookup = rows.filter((row) => Number(row.pass) === 1);
        } else {
          candidates.add(
            await rowsAskingTypo<InteractionRow>(this.deps, typoCapable ? plan : null, words, sql`true`, take),
          );
        }
      }
    }
    if (candidates.size < take && typoCapable) {
      const typo = await plan.typoWords();
      const typoIndexed =
        typo && indexed && typo === typoKnown
          ? indexed[1]!
          : typo && typo !== typoKnown
            ? ((await this.indexFirst(workspaceId, null, [typo], take))?.[0] ?? null)
            : null;
      if (typoIndexed) {
        candidates.add(typoIndexed);
      } else if (typo) {
        const typoRecent =
          typo === typoKnown ? knownTypoRecent! : (await this.recentWithWords(workspaceId, [typo], take))[0]!;
        candidates.add(typoRecent.rows);
        if (candidates.size < take) {
          candidates.add(
            typo === typoKnown && typoLookup
              ? typoLookup
              : await queryRowsPrepared<InteractionRow>(
                  this.deps.db,
                  this.lookup(workspaceId, typo, take, typoRecent.hits),
                ),
          );
        }
      }
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

  /**
   * The newest interactions matching each of `passes`, among the RECENT_SCAN newest (read
   * once for all of them), and how many of those each word of each pass matches. A
   * common word is among them, found without reading its every match; how common each
   * word is decides what the index is asked for next (lookup). Interactions
   * of restricted contacts are not processed (GDPR Art. 18); an erased contact's
   * interactions have no subject or summary left to match.
   */
  private async recentWithWords(workspaceId: string, passes: WordsMatch[], take: number): Promise<RecentMatches[]> {
    const page = sql.raw(String(take * 2));
    const parts = passes.flatMap((words) => words.parts);
    const name = (prefix: string, index: number) => sql.identifier(`${prefix}_${index}`);
    // The newest are read in one pass, each row tested there for every pass and every word,
    // and folded into one row: the counts, and each pass's matches as arrays of their id,
    // contact and date. Nothing is materialized for all RECENT_SCAN rows (a CTE holding
    // them cost as much as reading them), and the subject, summary and type are read back
    // for the page's rows alone.
    const tests = sql.join(
      [
        ...passes.map((words, pass) => sql`i.search_doc @@ ${tsQueryOnce(words.parts)} AS ${name("pass", pass)}`),
        ...parts.map((part, index) => sql`i.search_doc @@ ${tsQueryOnce([part])} AS ${name("word", index)}`),
      ],
      sql`, `,
    );
    const folded = sql.join(
      [
        sql`ARRAY[${sql.join(
          parts.map((_, index) => sql`count(*) FILTER (WHERE r.${name("word", index)})`),
          sql`, `,
        )}]::int[] AS hits`,
        ...passes.flatMap((_, pass) =>
          ["id", "contact_id", "occurred_at"].map(
            (column) =>
              sql`array_agg(r.${sql.identifier(column)}) FILTER (WHERE r.${name("pass", pass)}) AS ${name(column, pass)}`,
          ),
        ),
      ],
      sql`, `,
    );
    // The matches are put in order before the contacts are joined, so only the page's
    // contacts are read (OFFSET 0 keeps the order below the join).
    const matches = (pass: number) =>
      sql`(SELECT ${sql.raw(String(pass))} AS pass, n.id, n.contact_id, c.name AS contact_name, i.type, n.occurred_at, i.subject, i.summary, 0 AS similarity
           FROM (SELECT u.id, u.contact_id, u.occurred_at
                 FROM unnest(newest.${name("id", pass)}, newest.${name("contact_id", pass)}, newest.${name("occurred_at", pass)}) AS u(id, contact_id, occurred_at)
                 ORDER BY u.occurred_at DESC, u.id DESC OFFSET 0) n
           JOIN contacts c ON c.id = n.contact_id
           JOIN interactions i ON i.id = n.id
           WHERE c.deleted_at IS NULL AND NOT ${contactRestricted(sql`n.contact_id`)}
           ORDER BY n.occurred_at DESC, n.id DESC
           LIMIT ${page})`;
    const rows = await queryRowsPrepared<InteractionRow & { hits: number[]; pass: number | null }>(
      this.deps.db,
      sql`WITH newest AS (
            SELECT ${folded}
            FROM (SELECT i.id, i.contact_id, i.occurred_at, ${tests}
                  FROM interactions i WHERE i.workspace_id = ${workspaceId}::uuid
                  ORDER BY i.occurred_at DESC LIMIT ${sql.raw(String(RECENT_SCAN))}) r)
          SELECT newest.hits, m.* FROM newest LEFT JOIN LATERAL (${sql.join(
            passes.map((_, pass) => matches(pass)),
            sql` UNION ALL `,
          )}) m ON true`,
    );
    const hits = (rows[0]?.hits ?? []).map(Number);
    let offset = 0;
    return passes.map((words, pass) => {
      const own = hits.slice(offset, offset + words.parts.length);
      offset += words.parts.length;
      return { rows: rows.filter((row) => row.pass === pass), hits: own };
    });
  }

  /**
   * The lookups of `passes` through the full-text index alone, without reading the newest
   * interactions first, when the statistics say that each pass has a word rare enough to
   * look up (most searches are for a person, whose name no interaction holds). Its rows by
   * pass; null when there are no statistics, when a pass has no such word, or when a lookup
   * may have missed a newer match: it found more than it reads (INDEXED_SCAN), or more than
   * it keeps before leaving out those of deleted and restricted contacts and then could not
   * fill the page. Otherwise its page is the newest matches of all, which is what reading
   * the newest would have found. With `typoFor` (passes[0] being its words), the same
   * statement asks for its typo alternatives (see rowsAskingTypo).
   */
  private async indexFirst(
    workspaceId: string,
    typoFor: QueryPlan | null,
    passes: WordsMatch[],
    take: number,
  ): Promise<InteractionRow[][] | null> {
    const statistics = await this.lexemeStatistics("interactions");
    if (statistics.lexemes.length === 0) return null;
    // In the terms of the newest's count (see RARE_AMONG_RECENT): how many of RECENT_SCAN rows would hold each word.
    const hits = passes.map((words) => words.forms.map((form) => estimatedShare(statistics, form) * RECENT_SCAN));
    if (passes.some((words, pass) => rareWords(words, hits[pass]!).length === 0)) return null;
    // The first pass is the query's words: the step after this one needs the typo
    // alternatives when their matches do not fill the page.
    const rows = await rowsAskingTypo<InteractionRow & { pass: number | string; found: number | string }>(
      this.deps,
      typoFor,
      sql.join(
        passes.map(
          (words, pass) =>
            sql`SELECT ${sql.raw(String(pass))} AS pass, l.* FROM (${this.lookup(workspaceId, words, take, hits[pass]!, true)}) l`,
        ),
        sql` UNION ALL `,
      ),
      sql`f.pass = 0 AND f.id IS NOT NULL`,
      take,
    );
    const byPass = passes.map((_, pass) => rows.filter((row) => Number(row.pass) === pass));
    const missed = byPass.some((own) => {
      const found = Number(own[0]?.found ?? 0);
      const kept = own.filter((row) => row.id !== null).length;
      return found > INDEXED_SCAN || (found > lookupKeeps(take) && kept < lookupPage(take));
    });
    // A lookup whose matches were all left out carries only its count.
    return missed ? null : byPass.map((own) => own.filter((row) => row.id !== null));
  }

  /**
   * The contacts' word step's condition. Its statement is prepared, and its generic plan
   * cannot tell a rare word from a common one (the words are a parameter): through the
   * full-text index it reads every contact holding the words before its LIMIT applies
   * ("example", in every email: 100,000 contacts, ~18 ms), where testing the workspace's
   * contacts in turn stops at the LIMIT (~0.1 ms); for a rare name it is the other way
   * round (~2.5 against ~13 ms). So the statistics decide, and a common word's condition is
   * written so that no index can serve it (`IS TRUE`), as the interactions' lookup does.
   */
  private async contactWordsCondition(words: WordsMatch): Promise<SQL> {
    const condition = words.all(contactDoc);
    // A short word's share is unknown ("ab" may start no name at all, and the whole
    // workspace would be tested): the index's read is bounded by the contacts holding it.
    if (words.forms.some((form) => form.prefix.length < SHARE_KNOWN_FROM)) return condition;
    const statistics = await this.lexemeStatistics("contacts");
    const share = words.forms.reduce((product, form) => product * estimatedShare(statistics, form), 1);
    return share >= CONTACT_SCAN_SHARE ? sql`(${condition}) IS TRUE` : condition;
  }

  /**
   * A table's most common lexemes and the share of its rows holding each, from its
   * statistics (ANALYZE; none yet: every word is rare), read again every
   * STATISTICS_TTL_MS. The table's, not the workspace's: over interactions, a word common in
   * one workspace only, or a short prefix of many words each too rare to be listed, may be
   * looked up first and found too often; that lookup then reads the index for all its
   * matches (not their rows) before the newest are read.
   */
  private lexemeStatistics(table: StatisticsTable): Promise<LexemeStatistics> {
    const now = this.deps.clock.now().getTime();
    const cached = this.statistics.get(table);
    if (cached && now - cached.readAt <= STATISTICS_TTL_MS) return cached.read;
    const read = queryRows<{ lexemes: string[] | null; shares: (number | string)[] | null }>(
      this.deps.db,
      sql`SELECT most_common_elems::text::text[] AS lexemes, most_common_elem_freqs AS shares
          FROM pg_stats
          WHERE schemaname = current_schema() AND tablename = ${table} AND attname = 'search_doc'`,
    ).then(([row]) => ({ lexemes: row?.lexemes ?? [], shares: (row?.shares ?? []).map(Number) }));
    this.statistics.set(table, { readAt: now, read });
    // A failed read fails its search, and the next one reads again.
    read.catch(() => {
      if (this.statistics.get(table)?.read === read) this.statistics.delete(table);
    });
    return read;
  }

  /**
   * The statement reading the newest interactions matching `words` beyond those among the
   * newest (their `hits` there decide how): asked when those do not fill the page. With
   * `counted` (only for a lookup of rare words), every row says how many matches the index
   * found (up to one more than are read), and a row with only that count comes when none is left.
   */
  private lookup(workspaceId: string, words: WordsMatch, take: number, hits: number[], counted = false): SQL {
    const page = sql.raw(String(lookupPage(take)));
    // Reading a word's every match through the index costs in proportion to them (a word in
    // a tenth of two million interactions: 200,000 to gather). So only the rare words (few
    // among the newest) are looked up, and the others tested on what they find; the matches
    // are gathered first (MATERIALIZED: ordered by date, the planner would walk the timeline
    // instead, having no estimate for word prefixes), at most INDEXED_SCAN, newest kept.
    // When every word is common, only a longer stretch of the newest is read.
    //
    // The lookup must use the index whatever the planner estimates. A word outside the
    // column's statistics (every rare word, and every typo alternative) is estimated at half
    // the least common word's frequency: 3 % of two million with the benchmark's vocabulary,
    // which made reading the table until the 500th match look cheaper than the index; the
    // word matched nothing and all 2,000,000 rows were read (1.1 s a query, seconds under
    // load). So the planner is given the estimate the search already knows (the words are
    // rare: the query is a parameter it cannot look into, estimated at 0.5 %), and plans the
    // lookup for all its matches (the cap is applied outside the CTE, as rows are drawn from it).
    const rare = rareWords(words, hits);
    const found =
      rare.length > 0
        ? sql`SELECT i.id, i.occurred_at FROM interactions i
              WHERE i.workspace_id = ${workspaceId}::uuid AND i.search_doc @@ ${tsQueryOnce(rare)}
                ${rare.length < words.parts.length ? sql`AND (i.search_doc @@ ${tsQueryOnce(words.parts)}) IS TRUE` : sql``}`
        : sql`SELECT r.id, r.occurred_at FROM (
                SELECT i.id, i.occurred_at, i.search_doc FROM interactions i WHERE i.workspace_id = ${workspaceId}::uuid
                ORDER BY i.occurred_at DESC LIMIT ${sql.raw(String(COMMON_SCAN))}) r
              WHERE r.search_doc @@ ${tsQueryOnce(words.parts)}`;
    const read =
      rare.length > 0 ? sql`(SELECT id, occurred_at FROM found LIMIT ${sql.raw(String(INDEXED_SCAN))})` : sql`found`;
    const newest = sql`SELECT ${interactionColumns}, 0 AS similarity
            FROM (SELECT id FROM ${read} f ORDER BY occurred_at DESC, id DESC LIMIT ${sql.raw(String(lookupKeeps(take)))}) newest
            JOIN interactions i ON i.id = newest.id
            JOIN contacts c ON c.id = i.contact_id
            WHERE c.deleted_at IS NULL AND NOT ${contactRestricted(sql`i.contact_id`)}
            ORDER BY i.occurred_at DESC, i.id DESC
            LIMIT ${page}`;
    if (!counted) return sql`WITH found AS MATERIALIZED (${found}) ${newest}`;
    return sql`WITH found AS MATERIALIZED (${found})
            SELECT x.found, n.*
            FROM (SELECT count(*) AS found FROM (SELECT 1 FROM found LIMIT ${sql.raw(String(INDEXED_SCAN + 1))}) f) x
            LEFT JOIN LATERAL (${newest}) n ON true`;
  }
}

/** Rows a lookup returns at most: the newest of its matches. */
const lookupPage = (take: number) => take * 2;
/** Matches a lookup keeps, newest first, before leaving out those of deleted and restricted contacts. */
const lookupKeeps = (take: number) => take * 4;

/**
 * The words of `words` to look up in the full-text index: those that may be, and that
 * match fewer than RARE_AMONG_RECENT of the newest RECENT_SCAN (`hits`, word by word).
 */
function rareWords(words: WordsMatch, hits: number[]): string[] {
  return words.parts.filter((_, index) => words.indexable[index] && (hits[index] ?? 0) < RARE_AMONG_RECENT);
}

/** A pass's matches among the newest interactions, and how many of those each of its words matches. */
interface RecentMatches {
  rows: InteractionRow[];
  hits: number[];
}

/** Rows found by successive steps, each row once, in the order first found. */
class Candidates<R extends { id: string }> {
  readonly rows: R[] = [];
  private readonly seen = new Set<string>();

  get size(): number {
    return this.rows.length;
  }

  has(id: string): boolean {
    return this.seen.has(id);
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
