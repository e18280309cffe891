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
 * No I/O here. The graph is a plain in-memory structure that can be patched
 * (upsert/remove contacts and interactions) so the API can keep one per
 * workspace current; per-node adjacency is memoized per `asOf` and dropped for
 * exactly the nodes a patch touches. Every floating-point sum is taken in a
 * canonical order (interactions by id, neighbours by id) so the same data gives
 * bit-for-bit the same scores whether the graph was built in one go, patched,
 * or built from only the neighbourhood a single contact needs.
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

interface StoredInteraction {
  id: string;
  type: string;
  occurredAt: number;
  participants: string[];
}

/** One edge as seen from a node. */
export interface Link {
  /** w(u, v): decayed interactions plus the company link. */
  weight: number;
  /** w_int(u, v): decayed shared interactions only (what "known" is judged on). */
  interactionWeight: number;
  emails: number;
  meetings: number;
  /** Other shared link types (only when linkTypes is widened). */
  others: number;
  sameCompany: boolean;
}

export interface Adjacency {
  neighbors: Map<string, Link>;
  /** s(z) = Σ_v w(z, v), summed in neighbour-id order. */
  strength: number;
  /** Neighbour ids, ascending. */
  sortedIds: string[];
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

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class RelationshipGraph {
  readonly params: GraphParams;
  private readonly linkTypes: Set<string>;
  private readonly contacts = new Map<string, GraphContact & { companyKey: string | null }>();
  private readonly companies = new Map<string, Set<string>>();
  private readonly interactions = new Map<string, StoredInteraction>();
  private readonly byContact = new Map<string, Set<string>>();
  private readonly memo = new Map<string, Adjacency>();
  private memoAsOf = Number.NaN;

  constructor(params: Partial<GraphParams> = {}) {
    this.params = { ...DEFAULT_GRAPH_PARAMS, ...params };
    if (!(this.params.halfLifeDays > 0)) throw new RangeError("halfLifeDays must be > 0");
    if (!(this.params.companyWeight >= 0)) throw new RangeError("companyWeight must be >= 0");
    this.linkTypes = new Set(this.params.linkTypes);
  }

  get size() {
    return { contacts: this.contacts.size, interactions: this.interactions.size };
  }

  contact(id: string): (GraphContact & { companyKey: string | null }) | undefined {
    return this.contacts.get(id);
  }

  isLive(id: string): boolean {
    return this.contacts.get(id)?.live === true;
  }

  /** Ids of the (linking) interactions a contact took part in. */
  interactionIdsOf(contactId: string): string[] {
    return [...(this.byContact.get(contactId) ?? [])];
  }

  hasInteraction(id: string): boolean {
    return this.interactions.has(id);
  }

  /** Contact ids, every one the graph knows (live or not). */
  contactIds(): IterableIterator<string> {
    return this.contacts.keys();
  }

  upsertContact(row: GraphContact): void {
    const previous = this.contacts.get(row.id);
    const key = companyKey(row.company);
    const next = { id: row.id, name: row.name, company: row.company, live: row.live, companyKey: key };
    this.contacts.set(row.id, next);
    if (previous && previous.live === next.live && previous.companyKey === key) return; // name only: no edge changes
    if (previous?.live && previous.companyKey) this.companies.get(previous.companyKey)?.delete(row.id);
    if (next.live && key) {
      let members = this.companies.get(key);
      if (!members) this.companies.set(key, (members = new Set()));
      members.add(row.id);
    }
    if (this.memo.size > 0) this.forgetAround(row.id, [previous?.live ? previous.companyKey : null, next.live ? key : null]);
  }

  /** A contact that no longer exists at all (purged). Its interactions stay until removed or re-read. */
  removeContact(id: string): void {
    const previous = this.contacts.get(id);
    if (!previous) return;
    this.contacts.delete(id);
    if (previous.live && previous.companyKey) this.companies.get(previous.companyKey)?.delete(id);
    if (this.memo.size > 0) this.forgetAround(id, [previous.live ? previous.companyKey : null]);
  }

  /** Adds or replaces an interaction. Ones that cannot link anybody (wrong type, < 2 people) are not kept. */
  upsertInteraction(row: GraphInteraction): void {
    this.removeInteraction(row.id);
    if (!this.linkTypes.has(row.type)) return;
    const participants = [...new Set(row.participants)].sort(byId);
    if (participants.length < 2) return;
    const stored: StoredInteraction = { id: row.id, type: row.type, occurredAt: row.occurredAt, participants };
    this.interactions.set(row.id, stored);
    for (const p of participants) {
      let set = this.byContact.get(p);
      if (!set) this.byContact.set(p, (set = new Set()));
      set.add(row.id);
      this.memo.delete(p);
    }
  }

  removeInteraction(id: string): void {
    const stored = this.interactions.get(id);
    if (!stored) return;
    this.interactions.delete(id);
    for (const p of stored.participants) {
      const set = this.byContact.get(p);
      set?.delete(id);
      if (set && set.size === 0) this.byContact.delete(p);
      this.memo.delete(p);
    }
  }

  /** The weighted neighbourhood of a live contact as of `asOf` (memoized). */
  adjacency(contactId: string, asOf: number): Adjacency {
    if (asOf !== this.memoAsOf) {
      this.memo.clear();
      this.memoAsOf = asOf;
    }
    let adjacency = this.memo.get(contactId);
    if (!adjacency) {
      adjacency = this.buildAdjacency(contactId, asOf);
      this.memo.set(contactId, adjacency);
    }
    return adjacency;
  }

  private buildAdjacency(contactId: string, asOf: number): Adjacency {
    const neighbors = new Map<string, Link>();
    const self = this.contacts.get(contactId);
    if (!self?.live) return { neighbors, strength: 0, sortedIds: [] };
    const halfLifeMs = this.params.halfLifeDays * DAY_MS;
    const link = (id: string) => {
      let l = neighbors.get(id);
      if (!l) neighbors.set(id, (l = { weight: 0, interactionWeight: 0, emails: 0, meetings: 0, others: 0, sameCompany: false }));
      return l;
    };
    const ids = [...(this.byContact.get(contactId) ?? [])].sort(byId);
    for (const interactionId of ids) {
      const interaction = this.interactions.get(interactionId)!;
      const decay = Math.pow(2, -Math.max(0, asOf - interaction.occurredAt) / halfLifeMs);
      for (const p of interaction.participants) {
        if (p === contactId || !this.isLive(p)) continue;
        const l = link(p);
        l.interactionWeight += decay;
        if (interaction.type === "email") l.emails++;
        else if (interaction.type === "meeting") l.meetings++;
        else l.others++;
      }
    }
    if (self.companyKey) {
      for (const colleague of this.companies.get(self.companyKey) ?? []) {
        if (colleague !== contactId) link(colleague).sameCompany = true;
      }
    }
    const beta = this.params.companyWeight;
    const sortedIds = [...neighbors.keys()].sort(byId);
    let strength = 0;
    for (const id of sortedIds) {
      const l = neighbors.get(id)!;
      l.weight = l.sameCompany ? l.interactionWeight + beta : l.interactionWeight;
      strength += l.weight;
    }
    return { neighbors, strength, sortedIds };
  }

  /** Drops memoized adjacency of a contact, everyone it shares an interaction with, and the given companies' members. */
  private forgetAround(contactId: string, companyKeys: (string | null)[]): void {
    this.memo.delete(contactId);
    for (const interactionId of this.byContact.get(contactId) ?? []) {
      for (const p of this.interactions.get(interactionId)?.participants ?? []) this.memo.delete(p);
    }
    for (const key of companyKeys) {
      if (!key) continue;
      for (const member of this.companies.get(key) ?? []) this.memo.delete(member);
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
