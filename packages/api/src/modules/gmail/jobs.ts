import { z } from "zod";
import type { JobDefinition } from "../../infra/queue";
import type { ServiceDeps } from "../../platform/deps";
import { SYNC_JOB } from "./service";

const TICK_JOB = "gmail.tick";
const syncJobData = z.object({ connectionId: z.uuid() });

/**
 * Every minute the tick queues the connections whose (jittered) next sync is due; each sync
 * is its own job, one at a time per connection (the connection's lease). Syncs retry inside
 * (per request, honouring Google's advice) and reschedule themselves, so the job runs once.
 */
export function gmailJobs({ services }: ServiceDeps): JobDefinition[] {
  return [
    {
      name: TICK_JOB,
      schedule: { cron: "* * * * *", everyMs: 60_000 },
      attempts: 1,
      handler: async () => services.gmail.runDue(),
    },
    {
      name: SYNC_JOB,
      attempts: 1,
      handler: async (data, { log }) => {
        const { connectionId } = syncJobData.parse(data);
        const outcome = await services.gmail.syncConnection(connectionId);
        log.info({ connectionId, result: outcome.result }, "gmail sync job done");
        return outcome;
      },
    },
  ];
}
