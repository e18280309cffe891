import { forbidden } from "../../errors";
import type { CacheManager } from "../../infra/cache/manager";
import type { ServiceDeps } from "../../platform/deps";
import type { WarmupStatus } from "../recommendations/public";

const WAIT_LIMIT_MS = 120_000;

/** Administration of a workspace's cache (owners and admins). */
export class CacheAdminService {
  private readonly cache: CacheManager;

  constructor(private readonly deps: ServiceDeps) {
    this.cache = deps.cache;
  }

  /** Built after this module's service in the list: read when used. */
  private get recommendations() {
    return this.deps.services.recommendations;
  }

  stats(workspaceId: string) {
    return this.cache.workspaceStats(workspaceId);
  }

  invalidateWorkspace(workspaceId: string) {
    return this.cache.invalidateWorkspace(workspaceId);
  }

  async deleteKey(workspaceId: string, key: string) {
    const result = await this.cache.deleteKey(workspaceId, key);
    if (result === "forbidden")
      throw forbidden("Only this workspace's cache keys (as cache.keys lists them) can be deleted here.");
    return result;
  }

  keys(workspaceId: string, pattern: string, cursor: string | null | undefined, limit: number) {
    return this.cache.listKeys(workspaceId, { pattern, cursor, limit });
  }

  /** Queues a warm-up and returns its job id (with `wait`, once it has finished). */
  async warmup(workspaceId: string, limit: number, wait: boolean): Promise<WarmupStatus> {
    const jobId = await this.recommendations.startWarmup(workspaceId, limit);
    let status = await this.warmupStatus(workspaceId, jobId);
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (
      wait &&
      (status.state === "waiting" || status.state === "active" || status.state === "delayed") &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await this.warmupStatus(workspaceId, jobId);
    }
    return status;
  }

  warmupStatus(workspaceId: string, jobId: string): Promise<WarmupStatus> {
    return this.recommendations.warmupStatus(workspaceId, jobId);
  }
}
