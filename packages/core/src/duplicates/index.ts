import type { CountryCode } from "libphonenumber-js/core";
import { searchFold } from "../search/index";
import { isPhoneCountry, phoneCountries, phoneMatchKey } from "./phone";

export { isPhoneCountry, phoneCountries, phoneMatchKey };
export type { CountryCode };

/**
 * Duplicate contacts: which two contacts are probably one person, how sure that is and
 * why, and what a merge of two of them keeps. Pure: the caller reads the contacts and
 * writes the outcome.
 */

/** What duplicate detection reads of a contact. */
export interface DedupContact {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  company: string | null;
}

/** Why two contacts look like one person. Codes and a ratio only: never the values themselves. */
export type DuplicateReason =
  | { kind: "email" }
  | { kind: "phone" }
  | {
      kind: "name";
      /** Trigram similarity of the two names, 0–1 (both work at the same company). */
      similarity: number;
    };

export interface DuplicatePair {
  /** The smaller id of the two (pairs are unordered; one spelling each). */
  contactAId: string;
  contactBId: string;
  /** 0–1: how likely the two are one person. */
  score: number;
  reasons: DuplicateReason[];
}

/** Below this similarity two names at one company are different people ("John Smith" / "Jane Smith" ≈ 0.47). */
export const NAME_SIMILARITY_THRESHOLD = 0.55;
/** A number shared by more contacts than this is a switchboard, not a person's. */
const SHARED_PHONE_LIMIT = 4;
/** An address key shared by more contacts than this is not compared pair by pair (a role address). */
const SHARED_EMAIL_LIMIT = 20;
/** Name trigrams this common inside one company carry no evidence and are not used to find pairs. */
const COMMON_TRIGRAM_LIMIT = 300;

const EMAIL_WEIGHT = 0.95;
const PHONE_WEIGHT = 0.85;

/** Mail providers that deliver `a.b+tag@` to `ab@`: dots and everything after `+` are ignored. */
const DOTS_AND_TAGS_IGNORED: Readonly<Record<string, string>> = {
  "gmail.com": "gmail.com",
  "googlemail.com": "gmail.com",
};
/** Providers that ignore a `+tag` (sub-addressing) but not dots. */
const TAGS_IGNORED = new Set([
  "outlook.com",
  "hotmail.com",
  "live.com",
  "msn.com",
  "icloud.com",
  "me.com",
  "mac.com",
  "fastmail.com",
  "fastmail.fm",
  "proton.me",
  "protonmail.com",
  "protonmail.ch",
  "pm.me",
]);

/**
 * The mailbox an address reaches: lower case; for providers known to ignore them, without
 * dots and `+tags` (Gmail: `Ana.Lima+crm@googlemail.com` → `analima@gmail.com`). Elsewhere a
 * dot or a `+` may name another mailbox, so only the case is folded.
 */
export function emailMatchKey(email: string): string | null {
  const lower = email.trim().toLowerCase();
  const at = lower.lastIndexOf("@");
  if (at <= 0 || at === lower.length - 1) return null;
  let local = lower.slice(0, at);
  let domain = lower.slice(at + 1);
  const canonical = DOTS_AND_TAGS_IGNORED[domain];
  if (canonical) {
    domain = canonical;
    local = untagged(local).replaceAll(".", "");
  } else if (TAGS_IGNORED.has(domain)) {
    local = untagged(local);
  }
  return local ? `${local}@${domain}` : null;
}

/**
 * What a database narrows a search for `email`'s mailbox by before `emailMatchKey` decides: the
 * domains that deliver to the same mailboxes, and the letters and digits of the local part
 * before any `+` (every address with the same key has the same ones). In SQL the stored side is
 * `contactMailboxMatches` (@rapport/db), the expressions migration 0029 indexes.
 */
export function emailMatchProbe(email: string): { domains: string[]; mailbox: string } | null {
  if (!emailMatchKey(email)) return null;
  const lower = email.trim().toLowerCase();
  const at = lower.lastIndexOf("@");
  const domain = lower.slice(at + 1);
  const canonical = DOTS_AND_TAGS_IGNORED[domain];
  const domains = canonical
    ? Object.keys(DOTS_AND_TAGS_IGNORED).filter((other) => DOTS_AND_TAGS_IGNORED[other] === canonical)
    : [domain];
  const mailbox = untagged(lower.slice(0, at)).replace(/[^a-z0-9]/g, "");
  return mailbox ? { domains, mailbox } : null;
}

function untagged(local: string): string {
  const plus = local.indexOf("+");
  return plus < 0 ? local : local.slice(0, plus);
}

/** Legal-form words that do not tell two companies apart ("Acme Inc." is "Acme"). */
const COMPANY_SUFFIXES = new Set([
  "inc",
  "incorporated",
  "llc",
  "ltd",
  "limited",
  "plc",
  "gmbh",
  "ag",
  "sa",
  "sas",
  "sarl",
  "srl",
  "spa",
  "bv",
  "nv",
  "oy",
  "ab",
  "as",
  "co",
  "corp",
  "corporation",
  "company",
  "kg",
  "se",
  "pty",
]);

/** The company a contact works at, compared loosely: folded, punctuation and legal form dropped. */
export function companyMatchKey(company: string | null): string | null {
  if (!company) return null;
  const words = words_(company);
  while (words.length > 1 && COMPANY_SUFFIXES.has(words[words.length - 1]!)) words.pop();
  return words.length > 0 ? words.join(" ") : null;
}

const NOT_WORD = /[^\p{L}\p{N}]+/u;

function words_(value: string): string[] {
  return searchFold(value)
    .split(NOT_WORD)
    .filter((word) => word.length > 0);
}

/**
 * The distinct trigrams of each word of a name, as pg_trgm makes them (two spaces before a
 * word, one after), each packed into one number (its three UTF-16 code units, 16 bits each:
 * exact in a double) and sorted. Two names then compare by merging two short arrays of
 * numbers instead of looking strings up in a set, and an import compares each row's name
 * with twenty or more candidates.
 */
function nameTrigrams(name: string): Float64Array {
  const packed: number[] = [];
  for (const word of words_(name)) {
    const padded = `  ${word} `;
    for (let i = 0; i + 3 <= padded.length; i++)
      packed.push(padded.charCodeAt(i) * 4_294_967_296 + padded.charCodeAt(i + 1) * 65_536 + padded.charCodeAt(i + 2));
  }
  const sorted = Float64Array.from(packed).sort();
  let distinct = 0;
  for (let i = 0; i < sorted.length; i++)
    if (distinct === 0 || sorted[i] !== sorted[distinct - 1]) sorted[distinct++] = sorted[i]!;
  return sorted.subarray(0, distinct);
}

/** Shared trigrams over all trigrams of the two (both sorted and distinct). */
function jaccard(left: Float64Array, right: Float64Array): number {
  let shared = 0;
  for (let i = 0, j = 0; i < left.length && j < right.length; ) {
    if (left[i] === right[j]) {
      shared++;
      i++;
      j++;
    } else if (left[i]! < right[j]!) i++;
    else j++;
  }
  const total = left.length + right.length - shared;
  return total === 0 ? 0 : shared / total;
}

/** How alike two names are, 0–1, whatever the order of their words ("Lima, Ana" = "Ana Lima"). */
export function nameSimilarity(a: string, b: string): number {
  return jaccard(nameTrigrams(a), nameTrigrams(b));
}

/** A contact's comparison keys, computed once per contact (`keyContact`). */
export interface KeyedContact {
  contact: DedupContact;
  email: string | null;
  phone: string | null;
  company: string | null;
  trigrams: Float64Array;
}
type Keyed = KeyedContact;

/**
 * Phone keys by the number as written, kept across calls (bounded: emptied when full). Parsing
 * is the dearest step of keying a contact, and an import meets the same numbers again and
 * again: a row and the contact it duplicates usually write the number alike, and a batch's
 * candidates recur in the next batch.
 */
const PHONE_KEYS_KEPT = 10_000;
const phoneKeys = new Map<string, string | null>();
function rememberedPhoneKey(phone: string, defaultCountry?: CountryCode): string | null {
  const id = `${defaultCountry ?? ""}|${phone}`;
  let key = phoneKeys.get(id);
  if (key === undefined) {
    if (phoneKeys.size >= PHONE_KEYS_KEPT) phoneKeys.clear();
    phoneKeys.set(id, (key = phoneMatchKey(phone, defaultCountry)));
  }
  return key;
}

function keyed(contact: DedupContact, defaultCountry?: CountryCode): Keyed {
  return {
    contact,
    email: contact.email ? emailMatchKey(contact.email) : null,
    phone: contact.phone ? rememberedPhoneKey(contact.phone, defaultCountry) : null,
    company: companyMatchKey(contact.company),
    trigrams: nameTrigrams(contact.name),
  };
}

/**
 * A contact keyed for `likelyDuplicatesAmong`. Keying parses the phone number, the dearest
 * step; an import batch checks a thousand rows against candidates that recur from row to
 * row (the same company, the same number), so it keys each candidate once.
 */
export function keyContact(contact: DedupContact, defaultCountry?: CountryCode): KeyedContact {
  return keyed(contact, defaultCountry);
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** The score of a set of reasons: independent evidence, each lowering the chance they differ. */
export function duplicateScore(reasons: readonly DuplicateReason[]): number {
  let differ = 1;
  for (const reason of reasons) {
    const weight =
      reason.kind === "email" ? EMAIL_WEIGHT : reason.kind === "phone" ? PHONE_WEIGHT : 0.4 + 0.5 * reason.similarity;
    differ *= 1 - weight;
  }
  return round(1 - differ);
}

function compareKeyed(a: Keyed, b: Keyed): DuplicatePair | null {
  if (a.contact.id === b.contact.id) return null;
  const reasons: DuplicateReason[] = [];
  if (a.email && a.email === b.email) reasons.push({ kind: "email" });
  if (a.phone && a.phone === b.phone) reasons.push({ kind: "phone" });
  if (a.company && a.company === b.company) {
    const similarity = round(jaccard(a.trigrams, b.trigrams));
    if (similarity >= NAME_SIMILARITY_THRESHOLD) reasons.push({ kind: "name", similarity });
  }
  if (reasons.length === 0) return null;
  const [first, second] = a.contact.id < b.contact.id ? [a, b] : [b, a];
  return { contactAId: first.contact.id, contactBId: second.contact.id, score: duplicateScore(reasons), reasons };
}

/** Whether `a` and `b` look like one person, with the score and the reasons. */
export function compareContacts(a: DedupContact, b: DedupContact, defaultCountry?: CountryCode): DuplicatePair | null {
  return compareKeyed(keyed(a, defaultCountry), keyed(b, defaultCountry));
}

/** The contacts among `existing` that `candidate` (a contact about to be created) probably is, best first. */
export function likelyDuplicates(
  candidate: Omit<DedupContact, "id">,
  existing: readonly DedupContact[],
  limit = 5,
  defaultCountry?: CountryCode,
): { contactId: string; score: number; reasons: DuplicateReason[] }[] {
  return likelyDuplicatesAmong(
    candidate,
    existing.map((contact) => keyed(contact, defaultCountry)),
    limit,
    defaultCountry,
  );
}

/** `likelyDuplicates` among contacts keyed beforehand (`keyContact`, with the same default country). */
export function likelyDuplicatesAmong(
  candidate: Omit<DedupContact, "id">,
  existing: readonly KeyedContact[],
  limit = 5,
  defaultCountry?: CountryCode,
): { contactId: string; score: number; reasons: DuplicateReason[] }[] {
  const probe = keyed({ ...candidate, id: "" }, defaultCountry);
  const found: { contactId: string; score: number; reasons: DuplicateReason[] }[] = [];
  for (const contact of existing) {
    const pair = compareKeyed(probe, contact);
    if (pair) found.push({ contactId: contact.contact.id, score: pair.score, reasons: pair.reasons });
  }
  return found.sort((x, y) => y.score - x.score || (x.contactId < y.contactId ? -1 : 1)).slice(0, limit);
}

/**
 * Every likely duplicate pair among `contacts`, best first. Contacts are grouped by address,
 * by number and by company, and only contacts sharing a group are compared, so a workspace
 * of 100,000 costs about as many comparisons as it has contacts, not their square. Inside a
 * company, only names sharing a trigram that is not common there are compared.
 */
export function findDuplicatePairs(
  contacts: readonly DedupContact[],
  options: { defaultCountry?: CountryCode; onProgress?: (done: number, total: number) => void } = {},
): DuplicatePair[] {
  const all = contacts.map((contact) => keyed(contact, options.defaultCountry));
  const byEmail = new Map<string, Keyed[]>();
  const byPhone = new Map<string, Keyed[]>();
  const byCompany = new Map<string, Keyed[]>();
  for (const entry of all) {
    if (entry.email) push(byEmail, entry.email, entry);
    if (entry.phone) push(byPhone, entry.phone, entry);
    if (entry.company) push(byCompany, entry.company, entry);
  }
  const pairs = new Map<string, DuplicatePair>();
  const consider = (a: Keyed, b: Keyed) => {
    const key = a.contact.id < b.contact.id ? `${a.contact.id}|${b.contact.id}` : `${b.contact.id}|${a.contact.id}`;
    if (pairs.has(key)) return;
    const pair = compareKeyed(a, b);
    if (pair) pairs.set(key, pair);
  };
  for (const group of byEmail.values()) if (group.length <= SHARED_EMAIL_LIMIT) eachPair(group, consider);
  for (const group of byPhone.values()) if (group.length <= SHARED_PHONE_LIMIT) eachPair(group, consider);
  let done = 0;
  for (const group of byCompany.values()) {
    if (group.length > 1) similarNames(group, consider);
    done += group.length;
    options.onProgress?.(done, all.length);
  }
  options.onProgress?.(all.length, all.length);
  return [...pairs.values()].sort(
    (x, y) => y.score - x.score || (x.contactAId < y.contactAId ? -1 : x.contactAId > y.contactAId ? 1 : 0),
  );
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function eachPair(group: readonly Keyed[], visit: (a: Keyed, b: Keyed) => void) {
  for (let i = 0; i < group.length; i++) for (let j = i + 1; j < group.length; j++) visit(group[i]!, group[j]!);
}

/** Pairs of one company whose names share enough trigrams to be worth comparing. */
function similarNames(group: readonly Keyed[], visit: (a: Keyed, b: Keyed) => void) {
  if (group.length <= 60) {
    eachPair(group, visit);
    return;
  }
  const postings = new Map<number, number[]>();
  group.forEach((entry, index) => {
    for (const gram of entry.trigrams) push(postings, gram, index);
  });
  for (let i = 0; i < group.length; i++) {
    const shared = new Map<number, number>();
    for (const gram of group[i]!.trigrams) {
      const list = postings.get(gram)!;
      if (list.length > COMMON_TRIGRAM_LIMIT) continue;
      for (const j of list) if (j > i) shared.set(j, (shared.get(j) ?? 0) + 1);
    }
    // Similarity ≥ the threshold needs at least that share of the smaller set in common.
    const needed = Math.max(1, Math.floor(group[i]!.trigrams.length * NAME_SIMILARITY_THRESHOLD * 0.5));
    for (const [j, count] of shared) if (count >= needed) visit(group[i]!, group[j]!);
  }
}

export * from "./merge";
