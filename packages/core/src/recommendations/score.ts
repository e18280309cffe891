/**
 * Link prediction: whom is contact c most likely connected to (whom to
 * introduce, whom to loop in)?
 *
 * Weighted Adamic–Adar plus the direct link:
 *
 *     raw(c, v) = Σ_{z ∈ N(c) ∩ N(v)} w(c, z) · w(z, v) / ln(1 + s(z))  +  w(c, v)
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
 * ascending; deterministic for the same data (sums run over mutual contacts in
 * id order, and each candidate receives at most one term per mutual contact).
 */
import type { Adjacency, RelationshipGraph } from "./graph";

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

const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Ranked recommendations for `contactId`, or null when it is not a live contact of the graph. */
export function recommend(
  graph: RelationshipGraph,
  contactId: string,
  options: RecommendOptions,
): Recommendation[] | null {
  const c = graph.indexOf(contactId);
  const subject = c === undefined ? undefined : graph.nodes[c];
  if (c === undefined || !subject?.exists || !subject.live) return null;
  const asOf = typeof options.asOf === "number" ? options.asOf : options.asOf.getTime();
  const k = Math.max(0, Math.floor(options.k));
  const nodes = graph.nodes;
  const own = graph.adjacencyAt(c, asOf);
  const mutualCount = own.ids.length;
  // Neighbourhoods first: building one may use the graph's scratch space, scoring uses its own.
  const mutuals: (Adjacency | null)[] = new Array(mutualCount);
  const factors = new Float64Array(mutualCount);
  for (let a = 0; a < mutualCount; a++) {
    const adjacency = graph.adjacencyAt(own.ids[a]!, asOf);
    const damping = Math.log1p(adjacency.strength);
    mutuals[a] = damping > 0 ? adjacency : null;
    factors[a] = damping > 0 ? own.weight[a]! / damping : 0;
  }
  const { scores, marks, own: ownPosition } = graph.scoringScratch();
  const touched: number[] = [];
  try {
    // Σ over mutual contacts z, in id order.
    for (let a = 0; a < mutualCount; a++) {
      const adjacency = mutuals[a];
      if (!adjacency) continue;
      const factor = factors[a]!;
      const ids = adjacency.ids;
      const weights = adjacency.weight;
      for (let j = 0; j < ids.length; j++) {
        const v = ids[j]!;
        if (v === c) continue;
        if (marks[v] === 0) {
          marks[v] = 1;
          touched.push(v);
        }
        scores[v]! += factor * weights[j]!;
      }
    }
    // The direct link, added last.
    for (let a = 0; a < mutualCount; a++) {
      const v = own.ids[a]!;
      ownPosition[v] = a + 1;
      if (marks[v] === 0) {
        marks[v] = 1;
        touched.push(v);
      }
      scores[v]! += own.weight[a]!;
    }

    // The k best by raw score, ties by id (a small sorted buffer: k ≤ 100).
    const threshold = graph.params.knownThreshold;
    const top: number[] = [];
    const better = (v: number, u: number) =>
      scores[v]! > scores[u]! || (scores[v] === scores[u] && compareIds(nodes[v]!.id, nodes[u]!.id) < 0);
    for (const v of touched) {
      if (!(scores[v]! > 0)) continue;
      if (!options.includeKnown && ownPosition[v]! > 0 && own.interactionWeight[ownPosition[v]! - 1]! >= threshold)
        continue;
      if (top.length === k && (k === 0 || !better(v, top[k - 1]!))) continue;
      let at = top.length === k ? k - 1 : top.length;
      while (at > 0 && better(v, top[at - 1]!)) {
        top[at] = top[at - 1]!;
        at--;
      }
      top[at] = v;
    }

    // Who explains each of them: a second pass over the mutual contacts, for the chosen few only.
    for (const v of touched) marks[v] = 0;
    top.forEach((v, i) => (marks[v] = i + 1));
    const contributions: { z: number; value: number; adjacency: Adjacency; j: number }[][] = top.map(() => []);
    for (let a = 0; a < mutualCount; a++) {
      const adjacency = mutuals[a];
      if (!adjacency) continue;
      const ids = adjacency.ids;
      for (let j = 0; j < ids.length; j++) {
        const slot = marks[ids[j]!]!;
        if (slot > 0)
          contributions[slot - 1]!.push({ z: own.ids[a]!, value: factors[a]! * adjacency.weight[j]!, adjacency, j });
      }
    }

    return top.map((v, i) => {
      const candidate = nodes[v]!;
      const reasons: string[] = [];
      if (subject.companyKey && subject.companyKey === candidate.companyKey)
        reasons.push(`same company: ${subject.company!.trim()}`);
      const direct = ownPosition[v]! - 1;
      if (direct >= 0 && own.emails[direct]! + own.meetings[direct]! + own.others[direct]! > 0) {
        // Shown on the subject's own page: never name them ("with Ana" on Ana's page reads as noise).
        reasons.push(`already in touch: ${sharedPhrase(own, direct)}`);
      }
      const list = contributions[i]!.sort((x, y) => y.value - x.value || compareIds(nodes[x.z]!.id, nodes[y.z]!.id));
      for (const { z, adjacency, j } of list.slice(0, MAX_NAMED_MUTUALS)) {
        const mutual = nodes[z]!;
        if (adjacency.emails[j]! + adjacency.meetings[j]! + adjacency.others[j]! > 0)
          reasons.push(`${sharedPhrase(adjacency, j)} with ${mutual.name}`);
        else reasons.push(`colleague of ${mutual.name} at ${(candidate.company ?? mutual.company ?? "").trim()}`);
      }
      const more = list.length - MAX_NAMED_MUTUALS;
      if (more > 0) reasons.push(`${more} more mutual ${more === 1 ? "contact" : "contacts"}`);
      const raw = scores[v]!;
      return {
        contactId: candidate.id,
        name: candidate.name,
        company: candidate.company,
        score: Math.round((raw / (1 + raw)) * 1e6) / 1e6,
        reasons,
      };
    });
  } finally {
    for (const v of touched) {
      scores[v] = 0;
      marks[v] = 0;
      ownPosition[v] = 0;
    }
  }
}

/** "4 shared threads", "1 shared meeting", "3 shared threads and 1 meeting". */
function sharedPhrase(adjacency: Adjacency, j: number): string {
  const threads = adjacency.emails[j]! + adjacency.others[j]!;
  const meetings = adjacency.meetings[j]!;
  const parts: string[] = [];
  if (threads > 0) parts.push(`${threads} shared ${threads === 1 ? "thread" : "threads"}`);
  if (meetings > 0)
    parts.push(
      parts.length === 0
        ? `${meetings} shared ${meetings === 1 ? "meeting" : "meetings"}`
        : `${meetings} ${meetings === 1 ? "meeting" : "meetings"}`,
    );
  return parts.join(" and ");
}
