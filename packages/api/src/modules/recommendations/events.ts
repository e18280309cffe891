import type { EventConsumer } from "../../platform/events/types";
import type { Logger } from "../../logger";
import type { RecommendationService } from "./service";

/** A dispatcher batch with at least this many new contacts in one workspace is a bulk import. */
export const IMPORT_WARMUP_MIN_CONTACTS = 20;

/** After a bulk import, warm the workspace's recommendations (one queued job per workspace per minute). */
export function warmupAfterImportConsumer(recommendations: RecommendationService, limit: number, log: Logger): EventConsumer {
  return {
    name: "recommendations-warmup-after-import",
    startFrom: "now",
    async handle(events) {
      const created = new Map<string, number>();
      for (const event of events) {
        if (event.type === "contact.created" && event.workspaceId) created.set(event.workspaceId, (created.get(event.workspaceId) ?? 0) + 1);
      }
      for (const [workspaceId, count] of created) {
        if (count < IMPORT_WARMUP_MIN_CONTACTS) continue;
        const jobId = await recommendations.startWarmup(workspaceId, limit, "import");
        log.info({ workspaceId, contacts: count, jobId }, "bulk import: recommendations warm-up queued");
      }
    },
  };
}
