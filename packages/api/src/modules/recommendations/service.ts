import { randomUUID } from "node:crypto";
import {
  buildRelationshipGraph,
  recommend,
  scoringInstant,
  type GraphParams,
  type Recommendation,
} from "@rapport/core";
import { forbidden, notFound } from "../../errors";
import type { CacheManager } from "../../infra/cache/manager";
import type { JobStatus } from "../../infra/queue";
import type { ServiceDeps } from "../../platform/deps";
import { CONTACT_RESTRICTED_MESSAGE } from "../../platform/privacy/restriction";
import { WorkspaceGraphs } from "./graph-store";
import { loadBusiestWorkspaces, loadNeighbourhoodRows, loadTopContacts } from "./loader";

export const WARMUP_JOB = "recommendations.warmup";
/** Recommendation lists the contact page asks for; warm-up precomputes exactly these. */
export const DEFAULT_K = 20;

export interface ForContactInput {
  workspaceId: string;
  contactId: string;
  k: number;
  includeKnown: boolean;
}

/** What the cache stores for one (contact, k, includeKnown). */
interface CachedList {
  contactId: string;
  k: number;
  includeKnown: boolean;
  /** ISO instant the scores were computed as of (start of the UTC day). */
  asOf: string;
  items: Recommendation[];
}

export interface RecommendationList {
  contactId: string;
  k: number;
  includeKnown: boolean;
  items: Recommendation[];
  /** Served from the cache (memory or Redis) rather than computed for this request. */
  cached: boolean;
  /** Which tier answered: l1 (this process), l2 (Redis), compute, or bypass/uncached. */
  source: "l1" | "l2" | "compute" | "bypass" | "uncached";
  asOf: Date;
  computedAt: Date;
}

export interface WarmupResult {
  contactsCached: number;
  recommendationsGenerated: number;
  timeTakenSec: number;
}

/** A warm-up job; the figures are null until it has completed. */
export interface WarmupStatus {
  jobId: string;
  state: JobStatus["state"];
  progress: number;
  failedReason: string | null;
  contactsCached: number | null;
  recommendationsGenerated: number | null;
  timeTakenSec: number | null;
}

export class RecommendationService {
  private readonly params: Partial<GraphParams>;
  private readonly graphs: WorkspaceGraphs;

  private readonly cache: CacheManager;

  constructor(private readonly deps: ServiceDeps) {
    const { config } = deps;
    this.cache = deps.cache;
    this.params = {
      halfLifeDays: config.RECS_HALF_LIFE_DAYS,
      companyWeight: config.RECS_COMPANY_WEIGHT,
      knownThreshold: config.RECS_KNOWN_THRESHOLD,
    };
    this.graphs = new WorkspaceGraphs(
      deps.db,
      deps.cache,
      this.params,
      config.CACHE_GRAPH_MAX_WORKSPACES,
      deps.log.child({ component: "recommendations" }),
    );
  }

  /**
   * Ranked suggestions for a contact, through the cache (or computed directly when the cache is off).
   * GDPR Art. 18, this module's one enforcement point: a restricted contact gets FORBIDDEN and is
   * left out of other contacts' lists (the cached lists stay unfiltered: restrictions change without
   * invalidating them).
   */
  async forContact(input: ForContactInput): Promise<RecommendationList> {
    const { restrictions } = this.deps;
    if (await restrictions.isRestricted("contact", input.contactId)) throw forbidden(CONTACT_RESTRICTED_MESSAGE);
    const list = await this.ranked(input);
    const restricted = await restrictions.restrictedContacts(list.items.map((i) => i.contactId));
    return restricted.size === 0 ? list : { ...list, items: list.items.filter((i) => !restricted.has(i.contactId)) };
  }

  private async ranked(input: ForContactInput): Promise<RecommendationList> {
    if (!this.deps.config.CACHE_ENABLED) return this.computeUncached(input);
    const asOf = scoringInstant(this.deps.clock.now()).toISOString();
    const key = `${input.contactId}:${input.k}${input.includeKnown ? ":known" : ""}`;
    const result = await this.cache.getOrCompute<CachedList>(
      "rec",
      input.workspaceId,
      key,
      async ({ version }) => {
        const entry = await this.graphs.current(input.workspaceId, version);
        const items = recommend(entry.graph, input.contactId, {
          k: input.k,
          includeKnown: input.includeKnown,
          asOf: Date.parse(asOf),
        });
        if (!items) throw notFound("Contact");
        return {
          value: { contactId: input.contactId, k: input.k, includeKnown: input.includeKnown, asOf, items },
        };
      },
      // Scores are as of a day: yesterday's list is a miss today.
      { ttlSeconds: this.deps.config.CACHE_TTL_SECONDS, accept: (value) => value.asOf === asOf },
    );
    const list = result.value;
    return {
      contactId: list.contactId,
      k: list.k,
      includeKnown: list.includeKnown,
      items: list.items,
      cached: result.cached,
      source: result.source,
      asOf: new Date(list.asOf),
      computedAt: result.computedAt,
    };
  }

  /**
   * The reference computation, no cache involved: loads the contact's
   * neighbourhood from Postgres and scores it. Same answer as the cached path
   * (the graph code is shared and its sums are order-independent).
   */
  async computeUncached(input: ForContactInput): Promise<RecommendationList> {
    const asOf = scoringInstant(this.deps.clock.now());
    const rows = await loadNeighbourhoodRows(this.deps.db, input.workspaceId, input.contactId);
    if (!rows) throw notFound("Contact");
    const items = recommend(buildRelationshipGraph(rows, this.params), input.contactId, {
      k: input.k,
      includeKnown: input.includeKnown,
      asOf,
    })!;
    return { ...input, items, cached: false, source: "uncached", asOf, computedAt: this.deps.clock.now() };
  }

  /**
   * Precomputes the default list (k = 20) of the workspace's most active
   * contacts (by interaction count). Reports progress from 0 to 100.
   */
  async warmup(
    workspaceId: string,
    limit: number,
    progress: (percent: number) => Promise<void> = async () => {},
  ): Promise<WarmupResult> {
    const started = performance.now();
    if (!this.deps.config.CACHE_ENABLED) return { contactsCached: 0, recommendationsGenerated: 0, timeTakenSec: 0 };
    const top = await this.cache.getOrCompute<string[]>(
      "top",
      workspaceId,
      String(limit),
      async () => {
        const loaded = await loadTopContacts(this.deps.db, workspaceId, limit);
        return { value: loaded.contactIds };
      },
      { ttlSeconds: this.deps.config.CACHE_DERIVED_TTL_SECONDS },
    );
    let contactsCached = 0;
    let recommendationsGenerated = 0;
    let reported = 0;
    const ids = top.value;
    for (let i = 0; i < ids.length; i++) {
      try {
        const list = await this.ranked({ workspaceId, contactId: ids[i]!, k: DEFAULT_K, includeKnown: false });
        contactsCached++;
        if (!list.cached) recommendationsGenerated += list.items.length;
      } catch (error) {
        if ((error as { code?: string }).code !== "NOT_FOUND") throw error; // deleted meanwhile
      }
      const percent = Math.floor(((i + 1) / ids.length) * 100);
      if (percent > reported) {
        reported = percent;
        await progress(percent);
      }
    }
    return {
      contactsCached,
      recommendationsGenerated,
      timeTakenSec: Math.round((performance.now() - started) / 10) / 100,
    };
  }

  /** Queues a warm-up; the id answers `warmupStatus`. */
  async startWarmup(
    workspaceId: string,
    limit: number,
    reason: "manual" | "import" | "start" = "manual",
  ): Promise<string> {
    // Import- and start-triggered runs share an id per minute so bursts queue one job.
    const suffix =
      reason === "manual" ? randomUUID() : `${reason}-${Math.floor(this.deps.clock.now().getTime() / 60_000)}`;
    const jobId = `warmup-${workspaceId}-${suffix}`;
    // A manual run has an id of its own: announced before queueing, so a progress watcher opened with
    // the answer finds it at once. (Shared ids may name a running job, whose progress must not restart.)
    if (reason === "manual")
      await this.deps.progress.begin(jobId, {
        kind: WARMUP_JOB,
        scope: { workspaceId, minRole: "admin" },
        state: "queued",
      });
    return this.deps.queue.enqueue(WARMUP_JOB, { workspaceId, limit }, { jobId });
  }

  /** A deleted workspace: its warm-up jobs (their data names it) go too. */
  removeWarmupJobs(workspaceId: string): Promise<number> {
    return this.deps.queue.removeJobs(`warmup-${workspaceId}-`);
  }

  async warmupStatus(workspaceId: string, jobId: string): Promise<WarmupStatus> {
    // Job ids embed their workspace: another workspace's job is simply not found.
    const status = jobId.startsWith(`warmup-${workspaceId}-`) ? await this.deps.queue.status(jobId) : null;
    if (!status || status.name !== WARMUP_JOB) throw notFound("Warm-up job");
    const result = (status.result ?? null) as WarmupResult | null;
    return {
      jobId,
      state: status.state,
      progress: status.progress,
      failedReason: status.failedReason ?? null,
      contactsCached: result?.contactsCached ?? null,
      recommendationsGenerated: result?.recommendationsGenerated ?? null,
      timeTakenSec: result?.timeTakenSec ?? null,
    };
  }

  /** On server start (WARMUP_ON_START): the busiest workspaces. */
  async warmupOnStart(): Promise<string[]> {
    const workspaces = await loadBusiestWorkspaces(this.deps.db, 20);
    return Promise.all(
      workspaces.map((workspaceId) => this.startWarmup(workspaceId, this.deps.config.WARMUP_LIMIT, "start")),
    );
  }
}
