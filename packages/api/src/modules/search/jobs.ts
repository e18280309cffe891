import type { JobDefinition } from "../../infra/queue";
import type { ServiceDeps } from "../../platform/deps";

const PRUNE_TERMS_JOB = "search.prune-terms";

export function searchJobs({ services }: ServiceDeps): JobDefinition[] {
  return [
    {
      name: PRUNE_TERMS_JOB,
      // Daily at 03:45 UTC (after contacts.purge-deleted at 03:15); every 24 h in-process.
      schedule: { cron: "45 3 * * *", everyMs: 24 * 3_600_000 },
      handler: async (_data, { log }) => {
        const result = await services.search.pruneTerms();
        log.info(result, "pruned unused search words");
        return result;
      },
    },
  ];
}
