import type { JobDefinition } from "../../../infra/queue";
import { GDPR_EXPORT_JOB, GDPR_EXPORT_PURGE_JOB, type GdprExportService } from "./service";

const ATTEMPTS = 2;

export function gdprExportJobs(service: GdprExportService): JobDefinition[] {
  return [
    {
      name: GDPR_EXPORT_JOB,
      attempts: ATTEMPTS,
      handler: (data, ctx) => service.run((data as { exportId: string }).exportId, ctx, ATTEMPTS),
    },
    {
      name: GDPR_EXPORT_PURGE_JOB,
      // Daily at 03:30 UTC (BullMQ job scheduler); every 24 h in-process.
      schedule: { cron: "30 3 * * *", everyMs: 24 * 3_600_000 },
      handler: async (_data, { log }) => {
        const result = await service.purgeExpired();
        log.info(result, "deleted expired gdpr export files");
        return result;
      },
    },
  ];
}
