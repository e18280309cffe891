/**
 * The relationship graph of a workspace, built from interactions.
 *
 * Two contacts are linked when they took part in the same email or meeting.
 * Each shared interaction adds a weight that halves every `halfLifeDays`
 * (measured back from the scoring instant, `asOf`), so
 *
 *     w_int(u, v) = Σ_{i shared by u and v} 2^(−max(0, asOf − t_i) / halfLife)
 *
 * Contacts at the same company get a weaker, constant link β:
 *
 *     w(u, v) = w_int(u, v) + β·[company(u) = company(v)]
 *
 * and the strength of a node is s(z) = Σ_v w(z, v).
 *
 * Only live contacts are nodes: participants whose contact is deleted (or not
 * known to the graph) are ignored, so a deleted person is never recommended,
 * never named in a reason and never bridges two others.
 *
 * No I/O here. The graph is an in-memory structure that can be patched
 * (upsert/remove contacts and interactions) so the API can keep one per
 * workspace current. Contacts get dense integer indices and each node's
 * weighted neighbourhood is memoized (per `asOf`) in typed arrays; a patch
 * drops the memo of exactly the nodes it touches. Every floating-point sum is
 * taken in a canonical order (interactions by id, neighbours by id), so the
 * same data gives bit-for-bit the same scores whether the graph was built in
 * one go, patched, or built from only the neighbourhood a single contact needs.
 */

export const DAY_MS = 86_400_000;

export interface GraphParams {
  /** Half-life of an interaction's weight, in days (default 90). */
  halfLifeDays: number;
  /** β: weight of the link between two contacts of the same company (default 0.3). */
  companyWeight: number;
  /**
   * θ: contacts whose interaction weight with the subject is at least this
   * already know each other and are left out unless `includeKnown` (default 1,
   * i.e. one shared thread today or two about a half-life ago).
   */
  knownThreshold: number;
  /** Interaction types that link their participants (default email and meeting). */
  linkTypes: readonly string[];
}

export const DEFAULT_GRAPH_PARAMS: GraphParams = {
  halfLifeDays: 90,
  companyWeight: 0.3,
  knownThreshold: 1,
  linkTypes: ["email", "meeting"],
};

export interface GraphContact {
  id: string;
  name: string;
  company: string | null;
  /** false for soft-deleted contacts. */
  live: boolean;
}

export interface GraphInteraction {
  id: string;
  type: string;
  /** When it happened, epoch milliseconds. */
  occurredAt: number;
  /** Contact ids of everyone who took part (order and duplicates do not matter). */
  participants: readonly string[];
}

export interface ContactNode {
  id: string;
  name: string;
  company: string | null;
  companyKey: string | null;
  live: boolean;
  /** false once removed (purged): the index stays reserved. */
  exists: boolean;
}

interface StoredInteraction {
  id: string;
  kind: LinkKind;
  occurredAt: number;
  /** Contact indices, unique. */
  participants: number[];
}

enum LinkKind {
  Email = 0,
  Meeting = 1,
  Other = 2,
}

/**
 * A node's weighted neighbourhood: parallel arrays, neighbours ordered by id.
 * `weight[j]` = w(u, ids[j]); `interactionWeight[j]` = w_int; counts per type.
 */
export interface Adjacency {
  ids: Int32Array;
  weight: Float64Array;
  interactionWeight: Float64Array;
  emails: Int32Array;
  meetings: Int32Array;
  others: Int32Array;
  sameCompany: Uint8Array;
  /** s(u) = Σ_j weight[j], summed in neighbour-id order. */
  strength: number;
  /** neighbour index → position in the arrays (lazily built, for direct-link lookups). */
  positions?: Map<number, number>;
}

/** Company names are compared trimmed and case-insensitively. */
export function companyKey(company: string | null | undefined): string | null {
  const key = company?.trim().toLowerCase();
  return key ? key : null;
}

/** The scoring instant for a clock reading: the start of its UTC day (scores move once a day, not every millisecond). */
export function scoringInstant(now: Date | number): Date {
  const ms = typeof now === "number" ? now : now.getTime();
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS);
}

const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const EMPTY: Adjacency = {
  ids: new Int32Array(0),
  weight: new Float64Array(0),
  interactionWeight: new Float64Array(0),
  emails: new Int32Array(0),
  meetings: new Int32Array(0),
  others: new Int32Array(0),
  sameCompany: new Uint8Array(0),
  strength: 0,
};

export class RelationshipGraph {
  readonly params: GraphParams;
  private readonly linkTypes: Set<string>;
  private readonly index = new Map<string, number>();
  /** By index. */
  readonly nodes: ContactNode[] = [];
  private readonly byContact: Set<string>[] = [];
  private readonly memo: (Adjacency | undefined)[] = [];
  private readonly companies = new Map<string, Set<number>>();
  private readonly interactions = new Map<string, StoredInteraction>();
  private memoAsOf = Number.NaN;
  // Scratch space for building adjacencies and scoring (grown with the node count).
  private scratchWeight = new Float64Array(0);
  private scratchCounts = new Int32Array(0);
  private scratchFlags = new Uint8Array(0);
  private scoreArrays = { scores: new Float64Array(0), marks: new Int32Array(0), own: new Int32Array(0) };

  constructor(params: Partial<GraphParams> = {}) {
    this.params = { ...DEFAULT_GRAPH_PARAMS, ...params };
    if (!(this.params.halfLifeDays > 0)) throw new RangeError("halfLifeDays must be > 0");
    if (!(this.params.companyWeight >= 0)) throw new RangeError("companyWeight must be >= 0");
    this.linkTypes = new Set(this.params.linkTypes);
  }

  get size() {
    return { contacts: this.nodes.filter((n) => n.exists).length, interactions: this.interactions.size };
  }

  indexOf(id: string): number | undefined {
    return this.index.get(id);
  }

  contact(id: string): ContactNode | undefined {
    const i = this.index.get(id);
    const node = i === undefined ? undefined : this.nodes[i];
    return node?.exists ? node : undefined;
  }

  isLive(id: string): boolean {
    return this.contact(id)?.live === true;
  }

  /** Ids of the (linking) interactions a contact took part in. */
  interactionIdsOf(contactId: string): string[] {
    const i = this.index.get(contactId);
    return i === undefined ? [] : [...this.byContact[i]!];
  }

  hasInteraction(id: string): boolean {
    return this.interactions.has(id);
  }

  upsertContact(row: GraphContact): void {
    const i = this.slot(row.id);
    const previous = this.nodes[i]!;
    const key = companyKey(row.company);
    const next: ContactNode = {
      id: row.id,
      name: row.name,
      company: row.company,
      companyKey: key,
      live: row.live,
      exists: true,
    };
    this.nodes[i] = next;
    const wasLinked = previous.exists && previous.live;
    if (wasLinked === next.live && (!next.live || previous.companyKey === key)) return; // name only: no edge changes
    if (wasLinked && previous.companyKey) this.companies.get(previous.companyKey)?.delete(i);
    if (next.live && key) {
      let members = this.companies.get(key);
      if (!members) this.companies.set(key, (members = new Set()));
      members.add(i);
    }
    this.forgetAround(i, [wasLinked ? previous.companyKey : null, next.live ? key : null]);
  }

  /** A contact that no longer exists at all (purged). Its interactions stay until removed or re-read. */
  removeContact(id: string): void {
    const i = this.index.get(id);
    if (i === undefined) return;
    const previous = this.nodes[i]!;
    if (!previous.exists) return;
    this.nodes[i] = { ...previous, live: false, exists: false };
    if (previous.live && previous.companyKey) this.companies.get(previous.companyKey)?.delete(i);
    this.forgetAround(i, [previous.live ? previous.companyKey : null]);
  }

  /** Adds or replaces an interaction. Ones that cannot link anybody (wrong type, < 2 people) are not kept. */
  upsertInteraction(row: GraphInteraction): void {
    this.removeInteraction(row.id);
    if (!this.linkTypes.has(row.type)) return;
    const unique = [...new Set(row.participants)];
    if (unique.length < 2) return;
    const participants = unique.map((id) => this.slot(id));
    const kind = row.type === "email" ? LinkKind.Email : row.type === "meeting" ? LinkKind.Meeting : LinkKind.Other;
    this.interactions.set(row.id, { id: row.id, kind, occurredAt: row.occurredAt, participants });
    for (const p of participants) {
      this.byContact[p]!.add(row.id);
      this.memo[p] = undefined;
    }
  }

  removeInteraction(id: string): void {
    const stored = this.interactions.get(id);
    if (!stored) return;
    this.interactions.delete(id);
    for (const p of stored.participants) {
      this.byContact[p]!.delete(id);
      this.memo[p] = undefined;
    }
  }

  /** The weighted neighbourhood of a contact (by index) as of `asOf`, memoized. Empty unless live. */
  adjacencyAt(node: number, asOf: number): Adjacency {
    if (asOf !== this.memoAsOf) {
      this.memo.fill(undefined);
      this.memoAsOf = asOf;
    }
    let adjacency = this.memo[node];
    if (!adjacency) {
      adjacency = this.buildAdjacency(node, asOf);
      this.memo[node] = adjacency;
    }
    return adjacency;
  }

  /** Zeroed arrays of at least the node count for scoring; callers must zero what they touch. */
  scoringScratch(): { scores: Float64Array; marks: Int32Array; own: Int32Array } {
    const n = this.nodes.length;
    if (this.scoreArrays.scores.length < n) {
      const size = Math.max(1024, n * 2);
      this.scoreArrays = { scores: new Float64Array(size), marks: new Int32Array(size), own: new Int32Array(size) };
    }
    return this.scoreArrays;
  }

  private scratch(): { weight: Float64Array; counts: Int32Array; flags: Uint8Array } {
    const n = this.nodes.length;
    if (this.scratchWeight.length < n) {
      const size = Math.max(1024, n * 2);
      this.scratchWeight = new Float64Array(size);
      this.scratchCounts = new Int32Array(size * 3);
      this.scratchFlags = new Uint8Array(size);
    }
    return { weight: this.scratchWeight, counts: this.scratchCounts, flags: this.scratchFlags };
  }

  private buildAdjacency(node: number, asOf: number): Adjacency {
    const self = this.nodes[node]!;
    if (!self.exists || !self.live) return EMPTY;
    const { weight, counts, flags } = this.scratch();
    const halfLifeMs = this.params.halfLifeDays * DAY_MS;
    const touched: number[] = [];
    const touch = (v: number) => {
      if (flags[v] === 0) {
        flags[v] = 1;
        touched.push(v);
      }
    };
    const ids = [...this.byContact[node]!].sort(compareIds);
    for (const interactionId of ids) {
      const interaction = this.interactions.get(interactionId)!;
      const decay = 2 ** (-Math.max(0, asOf - interaction.occurredAt) / halfLifeMs);
      for (const p of interaction.participants) {
        if (p === node) continue;
        const other = this.nodes[p]!;
        if (!other.exists || !other.live) continue;
        touch(p);
        weight[p]! += decay;
        counts[p * 3 + interaction.kind]! += 1;
      }
    }
    if (self.companyKey) {
      for (const colleague of this.companies.get(self.companyKey) ?? []) {
        if (colleague === node) continue;
        touch(colleague);
        flags[colleague] = 2;
      }
    }
    const nodes = this.nodes;
    touched.sort((a, b) => compareIds(nodes[a]!.id, nodes[b]!.id));
    const size = touched.length;
    const adjacency: Adjacency = {
      ids: Int32Array.from(touched),
      weight: new Float64Array(size),
      interactionWeight: new Float64Array(size),
      emails: new Int32Array(size),
      meetings: new Int32Array(size),
      others: new Int32Array(size),
      sameCompany: new Uint8Array(size),
      strength: 0,
    };
    const beta = this.params.companyWeight;
    let strength = 0;
    for (let j = 0; j < size; j++) {
      const v = touched[j]!;
      const interactionWeight = weight[v]!;
      const colleague = flags[v] === 2;
      const w = colleague ? interactionWeight + beta : interactionWeight;
      adjacency.weight[j] = w;
      adjacency.interactionWeight[j] = interactionWeight;
      adjacency.emails[j] = counts[v * 3]!;
      adjacency.meetings[j] = counts[v * 3 + 1]!;
      adjacency.others[j] = counts[v * 3 + 2]!;
      adjacency.sameCompany[j] = colleague ? 1 : 0;
      strength += w;
      weight[v] = 0;
      counts[v * 3] = 0;
      counts[v * 3 + 1] = 0;
      counts[v * 3 + 2] = 0;
      flags[v] = 0;
    }
    adjacency.strength = strength;
    return adjacency;
  }

  /** The index of an id, creating a placeholder node (not live) for ids seen first as participants. */
  private slot(id: string): number {
    let i = this.index.get(id);
    if (i === undefined) {
      i = this.nodes.length;
      this.index.set(id, i);
      this.nodes.push({ id, name: "", company: null, companyKey: null, live: false, exists: false });
      this.byContact.push(new Set());
      this.memo.push(undefined);
    }
    return i;
  }

  /** Drops memoized adjacency of a contact, everyone it shares an interaction with, and the given companies' members. */
  private forgetAround(node: number, companyKeys: (string | null)[]): void {
    this.memo[node] = undefined;
    for (const interactionId of this.byContact[node]!) {
      for (const p of this.interactions.get(interactionId)?.participants ?? []) this.memo[p] = undefined;
    }
    for (const key of companyKeys) {
      if (!key) continue;
      for (const member of this.companies.get(key) ?? []) this.memo[member] = undefined;
    }
  }
}

/** Builds a graph from rows in one go. */
export function buildRelationshipGraph(
  input: { contacts: Iterable<GraphContact>; interactions: Iterable<GraphInteraction> },
  params: Partial<GraphParams> = {},
): RelationshipGraph {
  const graph = new RelationshipGraph(params);
  for (const contact of input.contacts) graph.upsertContact(contact);
  for (const interaction of input.interactions) graph.upsertInteraction(interaction);
  return graph;
}
