/**
 * Analytics on the shared cache layer (packages/api/src/infra/cache):
 * its per-workspace generation (bumped by every contact.* / interaction.*
 * event, durably through the outbox consumer and early on every instance
 * through the bus), its read-after-commit fence, single-flight computation,
 * in-process L1 and Redis L2, and its degraded mode without Redis.
 *
 * The cache layer's namespaces are a closed list ("rec", "top"); analytics
 * entries are derived structures, so they live under "top" with keys starting
 * "analytics:" (no clash with the recommendations' numeric "top" keys). A
 * dedicated namespace would be a one-line addition to infra/cache/keys.ts,
 * which belongs to the cache layer.
 */
import type { CacheManager } from "../../infra/cache/index";

const NAMESPACE = "top" as const;
/** An hour: the workspace's cache generation already invalidates entries, so this only bounds how long an unused one is kept. */
const ANALYTICS_CACHE_TTL_SECONDS = 3_600;

export interface Cached<T> {
  value: T;
  cached: boolean;
  computedAt: Date;
}

export class AnalyticsCache {
  constructor(
    private readonly manager: CacheManager | null,
    private readonly now: () => Date,
  ) {}

  /**
   * The value under `key` for the workspace's current data, or `compute()` it
   * once and keep it for an hour.
   */
  async getOrCompute<T>(workspaceId: string, key: string, compute: () => Promise<{ value: T }>): Promise<Cached<T>> {
    if (!this.manager) {
      const { value } = await compute();
      return { value, cached: false, computedAt: this.now() };
    }
    const result = await this.manager.getOrCompute<T>(NAMESPACE, workspaceId, `analytics:${key}`, () => compute(), {
      ttlSeconds: ANALYTICS_CACHE_TTL_SECONDS,
    });
    return { value: result.value, cached: result.cached, computedAt: result.computedAt };
  }
}
