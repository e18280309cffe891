import type { JobDefinition } from "../../infra/queue";
import type { ServiceDeps } from "../../platform/deps";
import { WARMUP_JOB } from "./service";

export function recommendationJobs({ services }: ServiceDeps): JobDefinition[] {
  return [
    {
      name: WARMUP_JOB,
      // A warm-up that fails is not worth retrying blindly: the next read computes what is missing.
      attempts: 1,
      handler: async (data, { log, progress }) => {
        const { workspaceId, limit } = data as { workspaceId: string; limit: number };
        const result = await services.recommendations.warmup(workspaceId, limit, progress);
        log.info({ workspaceId, limit, ...result }, "recommendations warmed up");
        return result;
      },
    },
  ];
}
