import { hasRole } from "@rapport/core";
import { notFound } from "../../errors";
import type { ServiceDeps } from "../../platform/deps";
import type { JobProgress } from "../../platform/progress";

/** Reading long jobs' progress (published by the jobs themselves through `deps.progress`). */
export class JobsService {
  constructor(private readonly deps: ServiceDeps) {}

  /** The job's progress now; NOT_FOUND unless the caller may see it (its existence is not revealed). */
  async get(userId: string, jobId: string): Promise<JobProgress> {
    const stored = await this.deps.progress.get(jobId);
    if (!stored || !(await this.allowed(userId, stored.scope))) throw notFound("Job");
    return stored.progress;
  }

  /** The snapshot, then each change until the job ends; authorized once, when it opens. */
  async *watch(userId: string, jobId: string, signal?: AbortSignal): AsyncGenerator<JobProgress, void> {
    await this.get(userId, jobId);
    yield* this.deps.progress.watch(jobId, signal);
  }

  private async allowed(
    userId: string,
    scope: { userId: string } | { workspaceId: string; minRole: "member" | "admin" | "owner" },
  ): Promise<boolean> {
    if ("userId" in scope) return scope.userId === userId;
    const role = await this.deps.services.workspaces.roleOf(scope.workspaceId, userId);
    return role !== null && hasRole(role, scope.minRole);
  }
}
