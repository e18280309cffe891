import type { JobDefinition } from "../../infra/queue";
import type { ServiceDeps } from "../../platform/deps";
import { gdprErasureJobs } from "./erasure/jobs";
import { gdprExportJobs } from "./export/jobs";

/** The export builder and the daily purge of expired files; the daily run of due erasures and retention. */
export function gdprJobs({ services }: ServiceDeps): JobDefinition[] {
  return [...gdprExportJobs(services.gdprExports), ...gdprErasureJobs(services.gdprErasure)];
}
