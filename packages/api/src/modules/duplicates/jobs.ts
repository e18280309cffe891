import type { JobDefinition } from "../../infra/queue";
import type { ServiceDeps } from "../../platform/deps";
import { PURGE_MERGES_JOB, SCAN_JOB } from "./service";

export function duplicateJobs(deps: ServiceDeps): JobDefinition[] {
  return [
    {
      name: SCAN_JOB,
      // A failed scan leaves the previous pairs in place; the member starts another.
      attempts: 1,
      handler: async (data, { jobId, log }) => {
        const { workspaceId } = data as { workspaceId: string };
        const tracker = await deps.progress.begin(jobId, {
          kind: SCAN_JOB,
          scope: { workspaceId, minRole: "member" },
          stage: "reading",
        });
        try {
          const result = await deps.services.duplicates.scan(workspaceId, (progress) => tracker.update(progress));
          await tracker.complete();
          log.info({ workspaceId, ...result }, "duplicates scanned");
          return result;
        } catch (error) {
          await tracker.fail("The scan failed; the previous list is unchanged");
          throw error;
        }
      },
    },
    {
      name: PURGE_MERGES_JOB,
      schedule: { cron: "17 3 * * *", everyMs: 86_400_000 },
      handler: async (_data, { log }) => {
        const result = await deps.services.duplicates.purgeExpiredMerges();
        if (result.purged > 0) log.info(result, "merges past their undo period forgotten");
        return result;
      },
    },
  ];
}
