/**
 * Link prediction: whom is contact c most likely connected to (whom to
 * introduce, whom to loop in)?
 *
 * Weighted Adamic–Adar plus the direct link:
 *
 *     raw(c, v) = w(c, v) + Σ_{z ∈ N(c) ∩ N(v)} w(c, z) · w(z, v) / ln(1 + s(z))
 *
 *     score(c, v) = raw / (1 + raw)          ∈ [0, 1), monotone in raw
 *
 * Every mutual contact z is evidence: strong, recent ties on both sides count
 * most (the product w(c,z)·w(z,v) needs both), and a mutual contact who is
 * linked to everybody (high strength s(z): a hub, an all-hands organiser, a
 * big company) says little about any single pair, so its vote is divided by
 * ln(1 + s(z)) — Adamic & Adar's damping, with strength in place of degree so
 * stale ties count less. A weak direct link (a colleague, an old thread) adds
 * its own weight. See README "Recommendations" for why this rather than
 * personalized PageRank.
 *
 * Candidates are live contacts other than c with raw > 0. Contacts whose
 * decayed interaction weight with c reaches θ (knownThreshold) already know c
 * and are left out unless includeKnown. Ranked by raw descending, ties by id
 * ascending; deterministic for the same data.
 */
import type { Adjacency, Link, RelationshipGraph } from "./graph";

export interface RecommendOptions {
  /** How many to return (the API allows 1–100). */
  k: number;
  /** Also list contacts c already knows. */
  includeKnown?: boolean;
  /** The scoring instant (use scoringInstant(clock.now())). */
  asOf: Date | number;
}

export interface Recommendation {
  contactId: string;
  name: string;
  company: string | null;
  /** In [0, 1): raw / (1 + raw), rounded to 6 decimals. */
  score: number;
  /** Why, in words a person can read. */
  reasons: string[];
}

const MAX_NAMED_MUTUALS = 3;

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Ranked recommendations for `contactId`, or null when it is not a live contact of the graph. */
export function recommend(graph: RelationshipGraph, contactId: string, options: RecommendOptions): Recommendation[] | null {
  const subject = graph.contact(contactId);
  if (!subject?.live) return null;
  const asOf = typeof options.asOf === "number" ? options.asOf : options.asOf.getTime();
  const k = Math.max(0, Math.floor(options.k));
  const own = graph.adjacency(contactId, asOf);

  // Σ over mutual contacts, taken in neighbour-id order (a canonical order keeps the sums bit-identical).
  const raw = new Map<string, number>();
  const mutuals: { id: string; factor: number; adjacency: Adjacency }[] = [];
  for (const z of own.sortedIds) {
    const adjacency = graph.adjacency(z, asOf);
    const damping = Math.log1p(adjacency.strength);
    if (!(damping > 0)) continue;
    const factor = own.neighbors.get(z)!.weight / damping;
    mutuals.push({ id: z, factor, adjacency });
    for (const [v, link] of adjacency.neighbors) {
      if (v === contactId) continue;
      raw.set(v, (raw.get(v) ?? 0) + factor * link.weight);
    }
  }
  // The direct link, added last.
  for (const [v, link] of own.neighbors) raw.set(v, (raw.get(v) ?? 0) + link.weight);

  const threshold = graph.params.knownThreshold;
  const candidates: { id: string; raw: number }[] = [];
  for (const [v, value] of raw) {
    if (!(value > 0) || !graph.isLive(v)) continue;
    if (!options.includeKnown && (own.neighbors.get(v)?.interactionWeight ?? 0) >= threshold) continue;
    candidates.push({ id: v, raw: value });
  }
  candidates.sort((a, b) => b.raw - a.raw || byId(a.id, b.id));

  return candidates.slice(0, k).map(({ id, raw: value }) => {
    const contact = graph.contact(id)!;
    return {
      contactId: id,
      name: contact.name,
      company: contact.company,
      score: Math.round((value / (1 + value)) * 1e6) / 1e6,
      reasons: reasonsFor(graph, contactId, id, own, mutuals),
    };
  });
}

function reasonsFor(
  graph: RelationshipGraph,
  subjectId: string,
  candidateId: string,
  own: Adjacency,
  mutuals: { id: string; factor: number; adjacency: Adjacency }[],
): string[] {
  const subject = graph.contact(subjectId)!;
  const candidate = graph.contact(candidateId)!;
  const reasons: string[] = [];
  if (subject.companyKey && subject.companyKey === candidate.companyKey) reasons.push(`same company: ${subject.company!.trim()}`);
  const direct = own.neighbors.get(candidateId);
  if (direct && direct.emails + direct.meetings + direct.others > 0) reasons.push(`${sharedPhrase(direct)} with ${subject.name}`);

  const contributions: { id: string; value: number; link: Link }[] = [];
  for (const mutual of mutuals) {
    if (mutual.id === candidateId) continue;
    const link = mutual.adjacency.neighbors.get(candidateId);
    if (link) contributions.push({ id: mutual.id, value: mutual.factor * link.weight, link });
  }
  contributions.sort((a, b) => b.value - a.value || byId(a.id, b.id));
  for (const { id, link } of contributions.slice(0, MAX_NAMED_MUTUALS)) {
    const mutual = graph.contact(id)!;
    if (link.emails + link.meetings + link.others > 0) reasons.push(`${sharedPhrase(link)} with ${mutual.name}`);
    else reasons.push(`colleague of ${mutual.name} at ${(candidate.company ?? mutual.company ?? "").trim()}`);
  }
  const more = contributions.length - MAX_NAMED_MUTUALS;
  if (more > 0) reasons.push(`${more} more mutual ${more === 1 ? "contact" : "contacts"}`);
  return reasons;
}

/** "4 shared threads", "1 shared meeting", "3 shared threads and 1 meeting". */
function sharedPhrase(link: { emails: number; meetings: number; others: number }): string {
  const threads = link.emails + link.others;
  const parts: string[] = [];
  if (threads > 0) parts.push(`${threads} shared ${threads === 1 ? "thread" : "threads"}`);
  if (link.meetings > 0) {
    parts.push(parts.length === 0 ? `${link.meetings} shared ${link.meetings === 1 ? "meeting" : "meetings"}` : `${link.meetings} ${link.meetings === 1 ? "meeting" : "meetings"}`);
  }
  return parts.join(" and ");
}
