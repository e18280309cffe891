import { RelationshipGraph, type GraphParams } from "@rapport/core";
import type { Db } from "@rapport/db";
import { LRUCache } from "lru-cache";
import type { CacheManager } from "../../infra/cache/manager";
import type { Logger } from "../../logger";
import { loadDelta, loadWorkspaceRows } from "./loader";

const BUILD_SLICE = 5_000;

export interface GraphEntry {
  graph: RelationshipGraph;
  /** The database snapshot the graph equals. */
  snapshot: string;
  /** The cache's data version of the workspace this graph is current for. */
  version: number;
}

/**
 * The derived structure behind cached recommendations: one relationship graph
 * per workspace, in this process, kept current by patching rather than
 * rebuilding. When the cache has learned of a change (its version for the
 * workspace moved), the next computation first reads the events that became
 * visible since the graph's snapshot and the current rows they name, in one
 * repeatable-read snapshot, and applies them; a manual invalidation drops the
 * graph and the next computation rebuilds it.
 *
 * Not stored in Redis: a graph is rebuilt from Postgres in about a second for
 * 200k interactions, while shipping it through Redis would cost as much and
 * could miss writes that bypass the outbox (bulk seeds).
 */
export class WorkspaceGraphs {
  private readonly entries: LRUCache<string, GraphEntry>;
  private readonly jobs = new Map<string, Promise<GraphEntry>>();

  constructor(
    private readonly db: Db,
    private readonly cache: CacheManager,
    private readonly params: Partial<GraphParams>,
    maxWorkspaces: number,
    private readonly log: Logger,
  ) {
    this.entries = new LRUCache({ max: Math.max(1, maxWorkspaces) });
    cache.onInvalidate((workspaceId) => this.drop(workspaceId));
  }

  drop(workspaceId: string): void {
    this.entries.delete(workspaceId);
  }

  /** A graph that includes every change the cache knew of at `minVersion` (waits for a patch or build). */
  async current(workspaceId: string, minVersion: number): Promise<GraphEntry> {
    for (;;) {
      const entry = this.entries.get(workspaceId);
      if (entry && entry.version >= minVersion) return entry;
      let job = this.jobs.get(workspaceId);
      if (!job) {
        // The version is read before the snapshot is taken, so the snapshot includes what it stands for.
        const version = this.cache.version(workspaceId);
        job = (entry ? this.patch(workspaceId, entry, version) : this.build(workspaceId, version)).finally(() =>
          this.jobs.delete(workspaceId),
        );
        this.jobs.set(workspaceId, job);
      }
      await job;
    }
  }

  private async build(workspaceId: string, version: number): Promise<GraphEntry> {
    const started = performance.now();
    const rows = await loadWorkspaceRows(this.db, workspaceId);
    // In slices, yielding in between: a large workspace must not stall every other request.
    const graph = new RelationshipGraph(this.params);
    for (let i = 0; i < rows.contacts.length; i += BUILD_SLICE) {
      for (const contact of rows.contacts.slice(i, i + BUILD_SLICE)) graph.upsertContact(contact);
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (let i = 0; i < rows.interactions.length; i += BUILD_SLICE) {
      for (const interaction of rows.interactions.slice(i, i + BUILD_SLICE)) graph.upsertInteraction(interaction);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const entry = { graph, snapshot: rows.snapshot, version };
    this.entries.set(workspaceId, entry);
    this.log.debug(
      { workspaceId, ...entry.graph.size, ms: Math.round(performance.now() - started) },
      "built relationship graph",
    );
    return entry;
  }

  private async patch(workspaceId: string, entry: GraphEntry, version: number): Promise<GraphEntry> {
    const delta = await loadDelta(this.db, workspaceId, entry.snapshot, (contactId) =>
      entry.graph.interactionIdsOf(contactId),
    );
    if (delta.rebuild || this.entries.get(workspaceId) !== entry) return this.build(workspaceId, version);
    // All at once, synchronously: a computation never sees half a patch.
    const { graph } = entry;
    for (const contact of delta.contacts) graph.upsertContact(contact);
    for (const id of delta.missingContacts) graph.removeContact(id);
    for (const interaction of delta.interactions) graph.upsertInteraction(interaction);
    for (const id of delta.missingInteractions) graph.removeInteraction(id);
    entry.snapshot = delta.snapshot;
    entry.version = Math.max(entry.version, version);
    return entry;
  }
}
