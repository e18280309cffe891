/*
 * Search ranking and highlighting: pure rules over candidates the database found.
 *
 * The database finds candidates with its indexes (full text over folded words, trigram
 * similarity); this file decides their order and what to highlight, the same way on
 * every driver. Folding here mirrors the SQL `search_fold` (unaccent, then lower case),
 * so a match the index saw is a match found here, at offsets into the original text.
 */

/** How a result matched, best first. */
export const SEARCH_TIERS = ["exact", "prefix", "word", "infix", "fuzzy"] as const;
export type SearchTier = (typeof SEARCH_TIERS)[number];

/** A highlighted field: its text (a snippet for long fields) and the matched ranges in it, [start, end) in UTF-16 units. */
export interface SearchHighlight<F extends string = string> {
  field: F;
  text: string;
  ranges: [number, number][];
}

export interface SearchMatch<F extends string = string> {
  tier: SearchTier;
  /** Index (in the fields given) of the best matching field: the weight of the match. */
  fieldRank: number;
  highlights: SearchHighlight<F>[];
}

export interface SearchField<F extends string = string> {
  field: F;
  value: string | null | undefined;
  /** Match this field's digits against the query's (phone numbers). */
  digits?: boolean;
}

/** Letters that unaccent maps but Unicode decomposition does not. */
const SPECIAL_FOLDS: Record<string, string> = {
  ß: "ss",
  ẞ: "ss",
  ø: "o",
  Ø: "o",
  ł: "l",
  Ł: "l",
  đ: "d",
  Đ: "d",
  ð: "d",
  Ð: "d",
  æ: "ae",
  Æ: "ae",
  œ: "oe",
  Œ: "oe",
  þ: "th",
  Þ: "th",
  ħ: "h",
  Ħ: "h",
  ı: "i",
  ŀ: "l",
  Ŀ: "l",
  ŧ: "t",
  Ŧ: "t",
  ĸ: "k",
  ŋ: "n",
  Ŋ: "n",
  ſ: "s",
};

const COMBINING_MARK = /\p{M}/gu;
const WORD_CHAR = /[\p{L}\p{N}]/u;

export interface FoldedText {
  folded: string;
  /** For each UTF-16 unit of `folded`, where its source character starts and ends in the original. */
  starts: number[];
  ends: number[];
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 128) return false;
  return true;
}

/** Lower case without accents, with a map back to the original's offsets. */
export function foldText(value: string): FoldedText {
  // ASCII (most text) folds to its lower case, one unit for one.
  if (isAscii(value)) {
    const starts = new Array<number>(value.length);
    const ends = new Array<number>(value.length);
    for (let i = 0; i < value.length; i++) {
      starts[i] = i;
      ends[i] = i + 1;
    }
    return { folded: value.toLowerCase(), starts, ends };
  }
  let folded = "";
  const starts: number[] = [];
  const ends: number[] = [];
  let offset = 0;
  for (const char of value) {
    const end = offset + char.length;
    const code = char.charCodeAt(0);
    // ASCII (most text) needs no decomposition.
    const mapped =
      code < 128
        ? code >= 65 && code <= 90
          ? String.fromCharCode(code + 32)
          : char
        : (SPECIAL_FOLDS[char] ?? char.normalize("NFD").replace(COMBINING_MARK, "")).toLowerCase();
    for (let i = 0; i < mapped.length; i++) {
      starts.push(offset);
      ends.push(end);
    }
    folded += mapped;
    offset = end;
  }
  return { folded, starts, ends };
}

/**
 * Folded text as matching reads it: ASCII (most text) folds one unit for one, so its
 * offsets are its own and no map back is built (a search matches every field of every
 * candidate; the maps were most of what that allocated).
 */
interface MatchText {
  folded: string;
  /** As FoldedText's, or null when every unit maps to itself. */
  starts: number[] | null;
  ends: number[] | null;
  /** Where its words start, computed when first asked. */
  wordStarts?: number[];
}

function matchText(value: string): MatchText {
  return isAscii(value) ? { folded: value.toLowerCase(), starts: null, ends: null } : foldText(value);
}

function wordStartsOf(text: MatchText): number[] {
  return (text.wordStarts ??= wordStarts(text.folded));
}

/** The folded form only (what `search_fold` computes in SQL). */
export function searchFold(value: string): string {
  // ASCII folds to its lower case (as in foldText), without the offsets nobody reads here:
  // an import keys every row's and every candidate's name and company through this.
  return isAscii(value) ? value.toLowerCase() : foldText(value).folded;
}

/** The query's words, folded: runs of letters and digits. */
export function queryTokens(query: string): string[] {
  const tokens: string[] = [];
  let current = "";
  for (const char of searchFold(query)) {
    if (WORD_CHAR.test(char)) current += char;
    else if (current) {
      tokens.push(current);
      current = "";
    }
  }
  if (current) tokens.push(current);
  return tokens;
}

/** The query folded with its whitespace collapsed: what exact, prefix and infix matches compare. */
export function normalizeQuery(query: string): string {
  return searchFold(query).trim().split(/\s+/).join(" ");
}

/** The digits of a query that looks like a phone number (at least 3 digits, nothing but phone punctuation). */
export function phoneDigits(query: string): string | null {
  if (!/^[+()\d\s.\-/]+$/.test(query)) return null;
  const digits = query.replace(/\D/g, "");
  return digits.length >= 3 ? digits : null;
}

/**
 * A full-text query (Postgres `to_tsquery('simple', …)` syntax) requiring every word of
 * the query as the start of a word: "jen hol" → `'jen':* & 'hol':*`. Tokens are letters
 * and digits only, so nothing in them is tsquery syntax.
 */
export function prefixTsQuery(query: string): string | null {
  const tokens = queryTokens(query);
  return tokens.length === 0 ? null : wordsTsQuery(tokens);
}

/** A lexeme quoted for to_tsquery: inside quotes, a quote is doubled and a backslash escaped. */
export function quoteLexeme(lexeme: string): string {
  return `'${lexeme.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/**
 * Every token as the start of a word or, where given, as one of its alternatives (typo
 * corrections, words containing it): "jonsen" with ["jensen"] → `('jonsen':* | 'jensen')`.
 */
export function wordsTsQuery(
  tokens: string[],
  alternatives: ReadonlyMap<string, readonly string[]> = new Map(),
): string {
  return tokens
    .map((token) => {
      const terms = alternatives.get(token) ?? [];
      if (terms.length === 0) return `'${token}':*`;
      return `(${[`'${token}':*`, ...terms.map(quoteLexeme)].join(" | ")})`;
    })
    .join(" & ");
}

/** Escapes LIKE wildcards (the default escape character is the backslash). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** Whether a unit of folded text is a letter or digit (ASCII answered without the regular expression). */
function isWordChar(folded: string, i: number): boolean {
  const code = folded.charCodeAt(i);
  if (code < 128) return (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || (code >= 65 && code <= 90);
  return WORD_CHAR.test(folded[i]!);
}

function wordStarts(folded: string): number[] {
  const starts: number[] = [];
  let previousIsWord = false;
  for (let i = 0; i < folded.length; i++) {
    const isWord = isWordChar(folded, i);
    if (isWord && !previousIsWord) starts.push(i);
    previousIsWord = isWord;
  }
  return starts;
}

function trigrams(word: string): Set<string> {
  const padded = `  ${word} `;
  const set = new Set<string>();
  for (let i = 0; i + 3 <= padded.length; i++) set.add(padded.slice(i, i + 3));
  return set;
}

/** Trigram similarity of two words (shared trigrams over all trigrams), as pg_trgm counts them. */
export function trigramSimilarity(a: string, b: string): number {
  return setSimilarity(trigrams(a), trigrams(b));
}

function setSimilarity(left: Set<string>, right: Set<string>): number {
  let shared = 0;
  for (const gram of left) if (right.has(gram)) shared++;
  const total = left.size + right.size - shared;
  return total === 0 ? 0 : shared / total;
}

const SNIPPET_LENGTH = 160;
const SNIPPET_LEAD = 40;

/** The field's text for display: whole when short, otherwise a window around the first range. */
function highlight<F extends string>(field: F, value: string, ranges: [number, number][]): SearchHighlight<F> {
  const sorted = mergeRanges(ranges);
  if (value.length <= SNIPPET_LENGTH) return { field, text: value, ranges: sorted };
  const first = sorted[0]?.[0] ?? 0;
  let start = Math.max(0, first - SNIPPET_LEAD);
  // Start at a word boundary when one is near.
  const space = value.lastIndexOf(" ", start);
  if (space >= 0 && start - space < 15) start = space + 1;
  const end = Math.min(value.length, start + SNIPPET_LENGTH);
  const prefix = start > 0 ? "…" : "";
  const suffix = end < value.length ? "…" : "";
  const shifted = sorted
    .filter(([a, b]) => a >= start && b <= end)
    .map(([a, b]): [number, number] => [a - start + prefix.length, b - start + prefix.length]);
  return { field, text: prefix + value.slice(start, end) + suffix, ranges: shifted };
}

function mergeRanges(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}

/** Original offsets of a folded range. */
function originalRange(text: MatchText, start: number, end: number): [number, number] {
  return text.starts && text.ends ? [text.starts[start]!, text.ends[end - 1]!] : [start, end];
}

/** The offsets of the digits of `value` that spell `digits` consecutively, if they do. */
function digitRange(value: string, digits: string): [number, number] | null {
  const positions: number[] = [];
  let only = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch >= "0" && ch <= "9") {
      positions.push(i);
      only += ch;
    }
  }
  const at = only.indexOf(digits);
  if (at < 0) return null;
  return [positions[at]!, positions[at + digits.length - 1]! + 1];
}

const TIER_RANK: Record<SearchTier, number> = { exact: 0, prefix: 1, word: 2, infix: 3, fuzzy: 4 };

/**
 * How `query` matches the fields (in order of weight: the first is the most important),
 * or null when it does not. Every query word must start a word somewhere in the fields for
 * a word match; a single field may match better (exactly, as its prefix, or as a substring).
 * Otherwise the most similar word is highlighted as a typo-tolerant match.
 */
export function matchFields<F extends string>(query: string, fields: SearchField<F>[]): SearchMatch<F> | null {
  const { whole, tokens, digits, tokenTrigrams } = analyzeQuery(query);
  const folded = fields.map((f) => (f.value ? matchText(f.value) : null));

  let best: { tier: SearchTier; fieldRank: number; range: [number, number] } | null = null;
  const consider = (tier: SearchTier, fieldRank: number, range: [number, number]) => {
    if (!best || TIER_RANK[tier] < TIER_RANK[best.tier] || (tier === best.tier && fieldRank < best.fieldRank)) {
      best = { tier, fieldRank, range };
    }
  };
  fields.forEach((field, index) => {
    const text = folded[index];
    if (!text || !field.value) return;
    if (digits && field.digits) {
      const fieldDigits = field.value.replace(/\D/g, "");
      const range = digitRange(field.value, digits);
      if (range) {
        if (fieldDigits === digits) consider("exact", index, range);
        else if (fieldDigits.startsWith(digits)) consider("prefix", index, range);
        else consider("infix", index, range);
      }
    }
    if (!whole) return;
    const value = text.folded.trim();
    const lead = text.folded.length - text.folded.trimStart().length;
    if (value === whole) consider("exact", index, originalRange(text, lead, lead + whole.length));
    else if (value.startsWith(whole)) consider("prefix", index, originalRange(text, lead, lead + whole.length));
    else if (whole.length >= 3) {
      const at = text.folded.indexOf(whole);
      if (at >= 0) consider("infix", index, originalRange(text, at, at + whole.length));
    }
  });

  // Word matches: every query word starts a word in some field (the fields together).
  const wordRanges = new Map<number, [number, number][]>();
  let wordRank = Number.POSITIVE_INFINITY;
  const allTokensFound =
    tokens.length > 0 &&
    tokens.every((token) => {
      let found = false;
      folded.forEach((text, index) => {
        if (!text) return;
        for (const start of wordStartsOf(text)) {
          if (text.folded.startsWith(token, start)) {
            found = true;
            wordRank = Math.min(wordRank, index);
            const ranges = wordRanges.get(index) ?? [];
            ranges.push(originalRange(text, start, start + token.length));
            wordRanges.set(index, ranges);
          }
        }
      });
      return found;
    });

  const chosen = best as { tier: SearchTier; fieldRank: number; range: [number, number] } | null;
  if (chosen && TIER_RANK[chosen.tier] < TIER_RANK.word) {
    return {
      tier: chosen.tier,
      fieldRank: chosen.fieldRank,
      highlights: [highlight(fields[chosen.fieldRank]!.field, fields[chosen.fieldRank]!.value!, [chosen.range])],
    };
  }
  if (allTokensFound) {
    return {
      tier: "word",
      fieldRank: wordRank,
      highlights: [...wordRanges.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([index, ranges]) => highlight(fields[index]!.field, fields[index]!.value!, ranges)),
    };
  }
  if (chosen) {
    return {
      tier: chosen.tier,
      fieldRank: chosen.fieldRank,
      highlights: [highlight(fields[chosen.fieldRank]!.field, fields[chosen.fieldRank]!.value!, [chosen.range])],
    };
  }
  return fuzzyMatch(tokenTrigrams, fields, folded);
}

interface QueryAnalysis {
  whole: string;
  tokens: string[];
  digits: string | null;
  tokenTrigrams: Set<string>[];
}

/** The last query analysed: a page of candidates is matched against the same query, row after row. */
let lastAnalysis: { query: string; analysis: QueryAnalysis } | null = null;

function analyzeQuery(query: string): QueryAnalysis {
  if (lastAnalysis?.query === query) return lastAnalysis.analysis;
  const tokens = queryTokens(query);
  const analysis = {
    whole: normalizeQuery(query),
    tokens,
    digits: phoneDigits(query),
    tokenTrigrams: tokens.map(trigrams),
  };
  lastAnalysis = { query, analysis };
  return analysis;
}

const FUZZY_HIGHLIGHT_MIN = 0.2;

/** The typo-tolerant tier: the field word most similar to a query word, highlighted. */
function fuzzyMatch<F extends string>(
  tokenTrigrams: Set<string>[],
  fields: SearchField<F>[],
  folded: (MatchText | null)[],
): SearchMatch<F> | null {
  let best: { score: number; index: number; range: [number, number] } | null = null;
  folded.forEach((text, index) => {
    if (!text) return;
    const starts = wordStartsOf(text);
    for (const start of starts) {
      let end = start;
      while (end < text.folded.length && isWordChar(text.folded, end)) end++;
      const wordTrigrams = trigrams(text.folded.slice(start, end));
      for (const tokenSet of tokenTrigrams) {
        const score = setSimilarity(tokenSet, wordTrigrams);
        if (score >= FUZZY_HIGHLIGHT_MIN && (!best || score > best.score)) {
          best = { score, index, range: originalRange(text, start, end) };
        }
      }
    }
  });
  const found = best as { score: number; index: number; range: [number, number] } | null;
  if (!found) return null;
  return {
    tier: "fuzzy",
    fieldRank: found.index,
    highlights: [highlight(fields[found.index]!.field, fields[found.index]!.value!, [found.range])],
  };
}

/** Orders matches: tier, then the field's weight, then the database's similarity, then the caller's tie-break. */
export function compareMatches(
  a: { match: SearchMatch; similarity: number },
  b: { match: SearchMatch; similarity: number },
): number {
  return (
    TIER_RANK[a.match.tier] - TIER_RANK[b.match.tier] ||
    a.match.fieldRank - b.match.fieldRank ||
    b.similarity - a.similarity
  );
}

/** The shortest query word whose share estimatedShare can tell from the statistics. */
export const SHARE_KNOWN_FROM = 3;

/**
 * A column's most common lexemes with the share of rows holding each, as Postgres's
 * statistics give them (pg_stats.most_common_elems and most_common_elem_freqs).
 */
export interface LexemeStatistics {
  lexemes: readonly string[];
  shares: readonly number[];
}

/**
 * The share of rows a query word matches at most, as far as the statistics know: the word
 * as the start of a lexeme plus the exact `terms` standing for it (its typo
 * alternatives), summed over the common lexemes that match (a row holding two of them is
 * counted twice: an upper bound). A word matching no common lexeme is rarer than every one
 * of them and estimated at 0 — unless it is shorter than SHARE_KNOWN_FROM: it may start
 * many lexemes each too rare to be listed ("3" starts every number from 3 to 3999), so it
 * is estimated at 1 (unknown, so common).
 */
export function estimatedShare(
  statistics: LexemeStatistics,
  word: { prefix: string; terms: readonly string[] },
): number {
  if (word.prefix.length < SHARE_KNOWN_FROM) return 1;
  let share = 0;
  const { lexemes, shares } = statistics;
  for (let i = 0; i < lexemes.length; i++) {
    const lexeme = lexemes[i]!;
    if (lexeme.startsWith(word.prefix) || word.terms.includes(lexeme)) share += shares[i] ?? 0;
  }
  return Math.min(share, 1);
}
