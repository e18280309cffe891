import type { JobDefinition } from "../../infra/queue";
import type { ServiceDeps } from "../../platform/deps";
import { PURGE_INVITATIONS_JOB } from "./invitations";

const RUN_DUE_WORKSPACE_DELETIONS_JOB = "workspaces.run-due-deletions";

export function workspaceJobs({ services }: ServiceDeps): JobDefinition[] {
  return [
    {
      name: RUN_DUE_WORKSPACE_DELETIONS_JOB,
      // Daily at 02:15 UTC, before the account deletions (02:30): a sole owner's scheduled
      // workspace is gone by the time their account's erasure checks for it.
      schedule: { cron: "15 2 * * *", everyMs: 24 * 3_600_000 },
      handler: async (_data, { log }) => {
        const result = await services.workspaceDeletion.runDueDeletions();
        log.info(result, "ran due workspace deletions");
        return result;
      },
    },
    {
      name: PURGE_INVITATIONS_JOB,
      // Daily at 03:20 UTC (BullMQ job scheduler); every 24 h in-process.
      schedule: { cron: "20 3 * * *", everyMs: 24 * 3_600_000 },
      handler: async (_data, { log }) => {
        const result = await services.invitations.purgeExpired();
        log.info(result, "deleted expired workspace invitations");
        return result;
      },
    },
  ];
}
