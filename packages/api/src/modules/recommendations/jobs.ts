import type { JobDefinition } from "../../infra/queue";
import type { ServiceDeps } from "../../platform/deps";
import { WARMUP_JOB } from "./service";

export function recommendationJobs(deps: ServiceDeps): JobDefinition[] {
  return [
    {
      name: WARMUP_JOB,
      // A warm-up that fails is not worth retrying blindly: the next read computes what is missing.
      attempts: 1,
      handler: async (data, { log, progress, jobId }) => {
        const { workspaceId, limit } = data as { workspaceId: string; limit: number };
        // Its admins started it (cache.warmup is theirs): they may follow it on jobs.progress.
        const tracker = await deps.progress.begin(jobId, {
          kind: WARMUP_JOB,
          scope: { workspaceId, minRole: "admin" },
          stage: "warming",
        });
        try {
          const result = await deps.services.recommendations.warmup(workspaceId, limit, async (percent) => {
            tracker.update({ done: percent, total: 100 });
            await progress(percent);
          });
          await tracker.complete();
          log.info({ workspaceId, limit, ...result }, "recommendations warmed up");
          return result;
        } catch (error) {
          await tracker.fail("The warm-up failed; reads compute what is missing");
          throw error;
        }
      },
    },
  ];
}
