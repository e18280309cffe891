import { randomBytes } from "node:crypto";
import { WEBHOOK_RECOVER_MAX_MS } from "@rapport/core/webhooks";
import { queryRows, webhookMessages } from "@rapport/db";
import { and, count, eq, sql } from "drizzle-orm";
import { badRequest, notFound } from "../../errors";
import type { ServiceDeps } from "../../platform/deps";
import type { ProgressReporter } from "../../platform/progress";
import type { WebhookDelivery } from "./delivery";
import { endpointRow, RECOVER_JOB } from "./shared";

/** Recovery after an outage: everything that failed since a time goes out again, as a background job with progress. */
export class WebhookRecovery {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly delivery: WebhookDelivery,
  ) {}

  /** Queues a background job that sends again every message of the endpoint that failed since `since`. */
  async recover(workspaceId: string, endpointId: string, since: Date) {
    await endpointRow(this.deps.db, workspaceId, endpointId);
    if (since.getTime() < this.deps.clock.now().getTime() - WEBHOOK_RECOVER_MAX_MS)
      throw badRequest("since: at most 14 days back", ["since"]);
    const jobId = `webhook-recover-${workspaceId}-${endpointId}-${randomBytes(6).toString("hex")}`;
    // Before queueing: a progress watcher opened with the answer finds the job at once.
    await this.deps.progress.begin(jobId, { kind: RECOVER_JOB, scope: recoverScope(workspaceId), state: "queued" });
    await this.deps.queue.enqueue(RECOVER_JOB, { workspaceId, endpointId, since: since.toISOString() }, { jobId });
    return { jobId };
  }

  async recoverStatus(workspaceId: string, jobId: string) {
    const status = jobId.startsWith(`webhook-recover-${workspaceId}-`) ? await this.deps.queue.status(jobId) : null;
    if (!status) throw notFound("Recovery job");
    const progress = await this.deps.progress.get(jobId);
    return {
      state: status.state,
      progress: status.state === "completed" ? 100 : (progress?.progress.percent ?? 0),
      result: status.result as { requeued: number } | undefined,
      failedReason: status.failedReason ?? null,
    };
  }

  /** The recovery job: failed messages since `since` become pending again, a page at a time, with progress. */
  async runRecover(input: { workspaceId: string; endpointId: string; since: Date }, jobId: string) {
    const progress = await this.deps.progress.begin(jobId, {
      kind: RECOVER_JOB,
      scope: recoverScope(input.workspaceId),
      stage: "requeueing",
    });
    try {
      const result = await this.requeue(input, progress);
      await progress.complete();
      return result;
    } catch (error) {
      await progress.fail("The recovery failed; start it again");
      throw error;
    }
  }

  private async requeue(input: { workspaceId: string; endpointId: string; since: Date }, progress: ProgressReporter) {
    const scope = and(
      eq(webhookMessages.workspaceId, input.workspaceId),
      eq(webhookMessages.endpointId, input.endpointId),
      eq(webhookMessages.status, "failed"),
      sql`${webhookMessages.createdAt} >= ${input.since.toISOString()}::timestamptz`,
    );
    const [total] = await this.deps.db.select({ n: count() }).from(webhookMessages).where(scope);
    const totalCount = Number(total?.n ?? 0);
    let requeued = 0;
    progress.update({ done: 0, total: totalCount });
    for (;;) {
      const now = this.deps.clock.now();
      const rows = await queryRows<{ id: string }>(
        this.deps.db,
        sql`UPDATE webhook_messages SET status = 'pending', next_attempt_at = ${now.toISOString()}::timestamptz,
                queued_until = NULL, lease_token = NULL
            WHERE id IN (SELECT id FROM webhook_messages WHERE ${scope} ORDER BY created_at LIMIT 500)
            RETURNING id`,
      );
      if (rows.length === 0) break;
      requeued += rows.length;
      await this.delivery.dispatchDue();
      // Messages that failed meanwhile join in: the total grows with them.
      progress.update({ done: requeued, total: Math.max(totalCount, requeued) });
    }
    return { requeued };
  }
}

/** Recovery is for the workspace's owners and admins (webhooks are theirs): so is following it. */
const recoverScope = (workspaceId: string) => ({ workspaceId, minRole: "admin" as const });
