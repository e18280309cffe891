import type { JobDefinition } from "../../infra/queue";
import type { WorkspaceDeletionService } from "./deletion";

export const RUN_DUE_WORKSPACE_DELETIONS_JOB = "workspaces.run-due-deletions";

export function workspaceJobs(deletion: WorkspaceDeletionService): JobDefinition[] {
  return [
    {
      name: RUN_DUE_WORKSPACE_DELETIONS_JOB,
      // Daily at 02:15 UTC, before the account deletions (02:30): a sole owner's scheduled
      // workspace is gone by the time their account's erasure checks for it.
      schedule: { cron: "15 2 * * *", everyMs: 24 * 3_600_000 },
      handler: async (_data, { log }) => {
        const result = await deletion.runDueDeletions();
        log.info(result, "ran due workspace deletions");
        return result;
      },
    },
  ];
}
