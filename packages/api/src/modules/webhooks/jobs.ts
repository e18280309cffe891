import { z } from "zod";
import type { JobDefinition } from "../../infra/queue";
import type { ServiceDeps } from "../../platform/deps";
import { WAKE_MAX_MESSAGES } from "./delivery";
import { DELIVER_JOB, RECOVER_JOB } from "./shared";

const deliverData = z.union([
  z.object({
    endpointId: z.uuid(),
    retries: z.object({ ids: z.array(z.uuid()).min(1).max(WAKE_MAX_MESSAGES), by: z.iso.datetime() }).optional(),
  }),
  // Jobs queued before delivery jobs claimed their own messages: one message each.
  z.object({ messageId: z.uuid() }),
]);
const recoverData = z.object({ workspaceId: z.uuid(), endpointId: z.uuid(), since: z.iso.datetime() });

export function webhookJobs({ services }: ServiceDeps): JobDefinition[] {
  return [
    {
      // Delivery to one endpoint: what is due there, in as many of its slots as are free.
      // Failures are each message's business (recorded, retried on its own schedule); a job
      // fails only when the database does, and then runs again under the same id, taking
      // back the messages it had claimed.
      name: DELIVER_JOB,
      attempts: 5,
      // Its own worker and slots: receivers may take up to the timeout to answer.
      concurrency: 32,
      handler: async (data, { jobId }) => {
        const parsed = deliverData.parse(data);
        const delivery = services.webhooks.delivery;
        if ("endpointId" in parsed) return delivery.drain(parsed, jobId);
        const endpointId = await delivery.endpointOf(parsed.messageId);
        return endpointId ? delivery.drain({ endpointId }, jobId) : { sent: 0, lanes: 0 };
      },
    },
    {
      // The backstop: wakes delivery for due messages nobody sends (a crash after commit, a lost job).
      name: "webhooks.sweep",
      attempts: 1,
      schedule: { cron: "* * * * *", everyMs: 60_000 },
      handler: async () => ({ woken: await services.webhooks.delivery.dispatchDue() }),
    },
    {
      name: RECOVER_JOB,
      attempts: 1,
      handler: async (data, { jobId }) => {
        const input = recoverData.parse(data);
        return services.webhooks.recovery.runRecover({ ...input, since: new Date(input.since) }, jobId);
      },
    },
    {
      name: "webhooks.purge",
      attempts: 3,
      schedule: { cron: "40 3 * * *", everyMs: 86_400_000 },
      handler: async (_data, { log }) => {
        const result = await services.webhooks.log.purge();
        log.info(result, "webhook messages past retention deleted");
        return result;
      },
    },
  ];
}
