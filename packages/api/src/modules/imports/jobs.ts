import type { JobDefinition } from "../../infra/queue";
import type { ServiceDeps } from "../../platform/deps";
import { IMPORT_PURGE_JOB, IMPORT_RUN_JOB } from "./service";

export function importJobs({ services }: ServiceDeps): JobDefinition[] {
  return [
    {
      name: IMPORT_RUN_JOB,
      // A retry resumes after the last committed batch (contact_imports.processed_rows).
      attempts: 3,
      concurrency: 2,
      handler: (data, ctx) => services.imports.run((data as { importId: string }).importId, ctx),
    },
    {
      name: IMPORT_PURGE_JOB,
      schedule: { cron: "45 * * * *", everyMs: 3_600_000 },
      handler: async (_data, { log }) => {
        const result = await services.imports.purgeUploads();
        if (result.purged > 0) log.info(result, "deleted import uploads never started");
        return result;
      },
    },
  ];
}
