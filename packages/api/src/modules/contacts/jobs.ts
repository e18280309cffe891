import type { JobDefinition } from "../../infra/queue";
import type { ServiceDeps } from "../../platform/deps";

const PURGE_DELETED_CONTACTS_JOB = "contacts.purge-deleted";

export function contactJobs({ services }: ServiceDeps): JobDefinition[] {
  return [
    {
      name: PURGE_DELETED_CONTACTS_JOB,
      // Daily at 03:15 UTC (BullMQ job scheduler); every 24 h in-process.
      schedule: { cron: "15 3 * * *", everyMs: 24 * 3_600_000 },
      handler: async (_data, { log }) => {
        const result = await services.contacts.purgeExpired();
        log.info(result, "purged soft-deleted contacts past retention");
        return result;
      },
    },
  ];
}
