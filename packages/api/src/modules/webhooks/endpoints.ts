import { randomBytes } from "node:crypto";
import { WEBHOOK_MAX_ENDPOINTS, WEBHOOK_PREVIOUS_SECRET_MS } from "@rapport/core/webhooks";
import { queryRows, webhookEndpoints } from "@rapport/db";
import { count, eq, sql } from "drizzle-orm";
import { badRequest, conflict } from "../../errors";
import type { Actor } from "../../platform/actor";
import { recordAudit } from "../../platform/audit";
import { type SealingKeys, sealSecret } from "../../platform/crypto";
import type { ServiceDeps } from "../../platform/deps";
import { DestinationRefusedError } from "./outbound/destination-guard";
import type { OutboundClient } from "./outbound/post";
import { endpointRow, toEndpoint } from "./shared";

export interface NewEndpoint {
  url: string;
  description?: string | null | undefined;
  eventTypes: string[];
  enabled?: boolean | undefined;
  rateLimitPerSecond?: number | undefined;
}

export interface EndpointPatch {
  url?: string | undefined;
  description?: string | null | undefined;
  eventTypes?: string[] | undefined;
  enabled?: boolean | undefined;
  rateLimitPerSecond?: number | undefined;
}

/** The workspace's endpoints: who receives what, where, signed with which secret, and how healthy each is. */
export class WebhookEndpoints {
  private readonly secretKey: SealingKeys;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly outbound: OutboundClient,
  ) {
    this.secretKey = deps.config.SECRET_SEALING_KEYS;
  }

  async list(workspaceId: string) {
    const rows = await this.deps.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.workspaceId, workspaceId))
      .orderBy(webhookEndpoints.createdAt, webhookEndpoints.id);
    const health = await this.health(workspaceId);
    return rows.map((row) => toEndpoint(row, health.get(row.id)));
  }

  async get(workspaceId: string, endpointId: string) {
    const row = await endpointRow(this.deps.db, workspaceId, endpointId);
    return toEndpoint(row, (await this.health(workspaceId, endpointId)).get(row.id));
  }

  async create(workspaceId: string, input: NewEndpoint, actor: Actor) {
    this.assertUrlAllowed(input.url);
    const secret = newSecret();
    const now = this.deps.clock.now();
    const row = await this.deps.transaction(async (tx) => {
      // Serialises creations in one workspace so the limit holds under concurrency.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('webhook_endpoints'), hashtext(${workspaceId}))`);
      const [existing] = await tx
        .select({ n: count() })
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.workspaceId, workspaceId));
      if (Number(existing?.n ?? 0) >= WEBHOOK_MAX_ENDPOINTS)
        throw conflict(`A workspace has at most ${WEBHOOK_MAX_ENDPOINTS} webhook endpoints; delete one first.`, {
          limit: WEBHOOK_MAX_ENDPOINTS,
        });
      const [inserted] = await tx
        .insert(webhookEndpoints)
        .values({
          workspaceId,
          url: input.url,
          description: input.description ?? null,
          eventTypes: input.eventTypes,
          enabled: input.enabled ?? true,
          secretSealed: sealSecret(this.secretKey, secret),
          rateLimitPerSecond: input.rateLimitPerSecond ?? 10,
          createdBy: actor.actorId,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await recordAudit(tx, {
        action: "webhook.endpoint_created",
        workspaceId,
        ...actor,
        targetType: "webhook_endpoint",
        targetId: inserted!.id,
      });
      return inserted!;
    });
    return { endpoint: toEndpoint(row, undefined), secret };
  }

  async update(workspaceId: string, endpointId: string, patch: EndpointPatch, actor: Actor) {
    if (patch.url !== undefined) this.assertUrlAllowed(patch.url);
    const now = this.deps.clock.now();
    await this.deps.transaction(async (tx) => {
      const current = await endpointRow(tx, workspaceId, endpointId, true);
      const reenabled = patch.enabled === true && !current.enabled;
      await tx
        .update(webhookEndpoints)
        .set({
          ...(patch.url !== undefined && { url: patch.url }),
          ...(patch.description !== undefined && { description: patch.description }),
          ...(patch.eventTypes !== undefined && { eventTypes: patch.eventTypes }),
          ...(patch.rateLimitPerSecond !== undefined && { rateLimitPerSecond: patch.rateLimitPerSecond }),
          ...(patch.enabled !== undefined && { enabled: patch.enabled }),
          // Re-enabling is a fresh start: no reason left, and the five-day clock starts again.
          ...(reenabled && { disabledReason: null, disabledAt: null, failingSince: null }),
          ...(patch.enabled === false &&
            current.enabled && { disabledReason: "disabled by an admin", disabledAt: now }),
          updatedAt: now,
        })
        .where(eq(webhookEndpoints.id, endpointId));
      await recordAudit(tx, {
        action: "webhook.endpoint_updated",
        workspaceId,
        ...actor,
        targetType: "webhook_endpoint",
        targetId: endpointId,
        metadata: { fields: Object.keys(patch).filter((key) => patch[key as keyof EndpointPatch] !== undefined) },
      });
    });
    return this.get(workspaceId, endpointId);
  }

  async remove(workspaceId: string, endpointId: string, actor: Actor) {
    await this.deps.transaction(async (tx) => {
      await endpointRow(tx, workspaceId, endpointId, true);
      await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
      await recordAudit(tx, {
        action: "webhook.endpoint_deleted",
        workspaceId,
        ...actor,
        targetType: "webhook_endpoint",
        targetId: endpointId,
      });
    });
    return { deleted: true as const };
  }

  /** A new secret; the current one keeps signing alongside it for 24 h so receivers can switch over. */
  async rotateSecret(workspaceId: string, endpointId: string, actor: Actor) {
    const secret = newSecret();
    const now = this.deps.clock.now();
    const previousSecretExpiresAt = new Date(now.getTime() + WEBHOOK_PREVIOUS_SECRET_MS);
    await this.deps.transaction(async (tx) => {
      const current = await endpointRow(tx, workspaceId, endpointId, true);
      await tx
        .update(webhookEndpoints)
        .set({
          secretSealed: sealSecret(this.secretKey, secret),
          previousSecretSealed: current.secretSealed,
          previousSecretExpiresAt,
          secretRotatedAt: now,
          updatedAt: now,
        })
        .where(eq(webhookEndpoints.id, endpointId));
      await recordAudit(tx, {
        action: "webhook.secret_rotated",
        workspaceId,
        ...actor,
        targetType: "webhook_endpoint",
        targetId: endpointId,
      });
    });
    return { secret, previousSecretExpiresAt };
  }

  /** https (or plain http for a configured host) to an address the SSRF guard allows; the error says why not. */
  private assertUrlAllowed(value: string) {
    try {
      this.outbound.checkUrl(value);
    } catch (error) {
      if (error instanceof DestinationRefusedError) throw badRequest(`url: ${error.message}`, ["url"]);
      throw error;
    }
  }

  private async health(workspaceId: string, endpointId?: string) {
    const since = new Date(this.deps.clock.now().getTime() - 86_400_000);
    const rows = await queryRows<{
      id: string;
      attempts: number | string;
      succeeded: number | string;
      last_status: number | null;
      last_at: Date | string | null;
    }>(
      this.deps.db,
      sql`SELECT e.id,
                 (SELECT count(*) FROM webhook_attempts a WHERE a.endpoint_id = e.id AND a.created_at > ${since.toISOString()}::timestamptz) AS attempts,
                 (SELECT count(*) FROM webhook_attempts a WHERE a.endpoint_id = e.id AND a.created_at > ${since.toISOString()}::timestamptz AND a.ok) AS succeeded,
                 l.status_code AS last_status, l.created_at AS last_at
          FROM webhook_endpoints e
          LEFT JOIN LATERAL (SELECT status_code, created_at FROM webhook_attempts a
                             WHERE a.endpoint_id = e.id ORDER BY a.created_at DESC LIMIT 1) l ON true
          WHERE e.workspace_id = ${workspaceId}::uuid ${endpointId ? sql`AND e.id = ${endpointId}::uuid` : sql``}`,
    );
    return new Map(
      rows.map((row) => {
        const attempts = Number(row.attempts);
        return [
          row.id,
          {
            attempts24h: attempts,
            successRate24h: attempts === 0 ? null : Number(row.succeeded) / attempts,
            lastStatusCode: row.last_status === null ? null : Number(row.last_status),
            lastAttemptAt: row.last_at === null ? null : new Date(row.last_at),
          },
        ];
      }),
    );
  }
}

function newSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}
