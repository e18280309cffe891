import type { JobDefinition } from "../../../infra/queue";
import type { GdprErasureService } from "./service";

const RUN_DUE_DELETIONS_JOB = "gdpr.run-due-deletions";
const ENFORCE_RETENTION_JOB = "gdpr.enforce-retention";

export function gdprErasureJobs(service: GdprErasureService): JobDefinition[] {
  return [
    {
      name: RUN_DUE_DELETIONS_JOB,
      // Daily at 02:30 UTC (BullMQ job scheduler); every 24 h in-process.
      schedule: { cron: "30 2 * * *", everyMs: 24 * 3_600_000 },
      handler: async (_data, { log }) => {
        const result = await service.runDueDeletions();
        log.info(result, "ran due account deletions");
        return result;
      },
    },
    {
      name: ENFORCE_RETENTION_JOB,
      // Daily at 02:45 UTC: audit entries past AUDIT_RETENTION_DAYS.
      schedule: { cron: "45 2 * * *", everyMs: 24 * 3_600_000 },
      handler: async (_data, { log }) => {
        const result = await service.enforceRetention();
        log.info(result, "enforced GDPR retention");
        return result;
      },
    },
  ];
}
