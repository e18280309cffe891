import type { JobDefinition } from "../../infra/queue";
import { PURGE_INVITATIONS_JOB, type InvitationService } from "./invitations";

export function invitationJobs(invitations: InvitationService): JobDefinition[] {
  return [
    {
      name: PURGE_INVITATIONS_JOB,
      // Daily at 03:20 UTC (BullMQ job scheduler); every 24 h in-process.
      schedule: { cron: "20 3 * * *", everyMs: 24 * 3_600_000 },
      handler: async (_data, { log }) => {
        const result = await invitations.purgeExpired();
        log.info(result, "deleted expired workspace invitations");
        return result;
      },
    },
  ];
}
