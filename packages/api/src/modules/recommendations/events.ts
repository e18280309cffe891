import type { ServiceDeps } from "../../platform/deps";
import type { ModuleEvents } from "../../platform/module";

/**
 * A transaction that creates at least this many contacts in one workspace is a bulk import
 * (an import's batch, a bulk create, a mailbox's first sync), however many batches of the
 * consumer its events arrive in, and whatever else commits beside it.
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
          // Per transaction: its events share their created_at (the transaction's start, read
          // here to the millisecond), so contacts created one by one are not counted together.
          const created = new Map<string, { workspaceId: string; count: number }>();
          for (const event of events) {
            if (event.type !== "contact.created" || !event.workspaceId) continue;
            const key = `${event.workspaceId}|${event.createdAt.getTime()}`;
            const write = created.get(key) ?? { workspaceId: event.workspaceId, count: 0 };
            write.count++;
            created.set(key, write);
          }
          const imported = new Map<string, number>();
          for (const { workspaceId, count } of created.values())
            if (count >= IMPORT_WARMUP_MIN_CONTACTS)
              imported.set(workspaceId, (imported.get(workspaceId) ?? 0) + count);
          for (const [workspaceId, count] of imported) {
            const jobId = await services.recommendations.startWarmup(workspaceId, config.WARMUP_LIMIT, "import");
            log.info({ workspaceId, contacts: count, jobId }, "bulk import: recommendations warm-up queued");
          }
        },
      },
    ],
  };
}
