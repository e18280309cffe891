import type { ServiceDeps } from "../../platform/deps";
import type { ModuleEvents } from "../../platform/module";

/**
 * A dispatcher batch with at least this many new contacts in one workspace is a bulk import
 * (batches come a second apart: so is that many created one by one within a second).
 */
const IMPORT_WARMUP_MIN_CONTACTS = 20;

export function recommendationEvents({ config, log, services }: ServiceDeps): ModuleEvents {
  if (!config.WARMUP_AFTER_IMPORT) return {};
  return {
    consumers: [
      {
        // After a bulk import, warm the workspace's recommendations (one queued job per workspace per minute).
        name: "recommendations-warmup-after-import",
        startFrom: "now",
        // A warm-up may start a second after the import: under a steady stream of single
        // writes this is one transaction a second instead of one per dispatcher pass.
        batchGapMs: 1_000,
        async handle(events) {
          const created = new Map<string, number>();
          for (const event of events) {
            if (event.type === "contact.created" && event.workspaceId)
              created.set(event.workspaceId, (created.get(event.workspaceId) ?? 0) + 1);
          }
          for (const [workspaceId, count] of created) {
            if (count < IMPORT_WARMUP_MIN_CONTACTS) continue;
            const jobId = await services.recommendations.startWarmup(workspaceId, config.WARMUP_LIMIT, "import");
            log.info({ workspaceId, contacts: count, jobId }, "bulk import: recommendations warm-up queued");
          }
        },
      },
    ],
  };
}
