import { z } from "zod";
import type { JobDefinition } from "../../infra/queue";
import type { ServiceDeps } from "../../platform/deps";
import { DELIVERY_BATCH } from "./delivery";
import { DELIVER_JOB, RECOVER_JOB } from "./shared";

const item = z.object({ id: z.uuid(), attempt: z.number().int().min(1) });
const deliverData = z.union([
  z.object({ endpointId: z.uuid(), messages: z.array(item).min(1).max(DELIVERY_BATCH) }),
  // Jobs queued before deliveries went in batches: one message each.
  z.object({ messageId: z.uuid(), attempt: z.number().int().min(1) }),
]);
const recoverData = z.object({ workspaceId: z.uuid(), endpointId: z.uuid(), since: z.iso.datetime() });

export function webhookJobs({ services }: ServiceDeps): JobDefinition[] {
  return [
    {
      // The attempts of a batch of one endpoint's messages. Failures are each message's business
      // (recorded, retried on its own schedule); a job fails only when the database does, and is
      // then retried (a message already attempted is skipped as stale).
      name: DELIVER_JOB,
      attempts: 5,
      // Its own worker and slots: receivers may take up to the timeout to answer.
      concurrency: 32,
      handler: async (data) => {
        const parsed = deliverData.parse(data);
        return services.webhooks.delivery.deliver(
          "messages" in parsed ? parsed.messages : [{ id: parsed.messageId, attempt: parsed.attempt }],
        );
      },
    },
    {
      // The backstop: queues due messages the queue lost or never got (a crash after commit).
      name: "webhooks.sweep",
      attempts: 1,
      schedule: { cron: "* * * * *", everyMs: 60_000 },
      handler: async () => ({ queued: await services.webhooks.delivery.dispatchDue() }),
    },
    {
      name: RECOVER_JOB,
      attempts: 1,
      handler: async (data, { progress }) => {
        const input = recoverData.parse(data);
        return services.webhooks.recovery.runRecover({ ...input, since: new Date(input.since) }, progress);
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
