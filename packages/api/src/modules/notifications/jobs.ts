import type { JobDefinition } from "../../infra/queue";
import type { ServiceDeps } from "../../platform/deps";

const PURGE_NOTIFICATIONS_JOB = "notifications.purge";

export function notificationJobs({ services }: ServiceDeps): JobDefinition[] {
  return [
    {
      name: PURGE_NOTIFICATIONS_JOB,
      // Daily at 03:40 UTC (BullMQ job scheduler); every 24 h in-process.
      schedule: { cron: "40 3 * * *", everyMs: 24 * 3_600_000 },
      handler: async (_data, { log }) => {
        const result = await services.notifications.purgeExpired();
        log.info(result, "deleted expired notifications");
        return result;
      },
    },
  ];
}
