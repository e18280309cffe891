import {
  ANALYTICS_DAY_MS as DAY,
  DEFAULT_COLD_FACTOR,
  describeReconnect,
  healthBucket,
  type ReconnectCandidate,
} from "@rapport/core";
import {
  keepInTouchDays,
  MAX_SNOOZE_DAYS,
  type ReconnectListInput,
  type SetKeepInTouchInput,
  type SnoozeReconnectInput,
  type ReconnectContactInput,
} from "@rapport/core/schemas";
import { contactReconnect, contacts, queryRows, type Tx } from "@rapport/db";
import { and, eq, isNull } from "drizzle-orm";
import { badRequest, notFound } from "../../errors";
import type { Actor } from "../../platform/actor";
import type { ServiceDeps } from "../../platform/deps";
import { useAnalyticalSettings } from "../../platform/analytics-sql";
import { appendEvents } from "../../platform/events/outbox";
import { assertNotRestricted } from "../../platform/privacy/restriction";
import { reconnectQuery, type ReconnectRow } from "./queries";

/** One entry of the Reconnect list: the contact, the figures and the reason in words. */
export interface ReconnectItem extends ReconnectCandidate {
  name: string;
  email: string | null;
  company: string | null;
  reason: string;
}

type ReconnectChange = "keep_in_touch" | "snoozed" | "done";

/** A cached list is recomputed at the next hour at the latest (any change to the workspace's contacts replaces it sooner). */
const LIST_REFRESH_MS = 3_600_000;

export class ReconnectService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * Relationships going cold as of now, most valuable and most overdue first. The list is a
   * whole-workspace computation (seconds at millions of interactions), so it is kept on the
   * shared cache layer: any contact.* or interaction.* event of the workspace — snooze, done
   * and keep-in-touch included — replaces it at once, and otherwise it is recomputed every
   * hour (going cold is judged in days).
   */
  async list(input: ReconnectListInput): Promise<{ asOf: Date; items: ReconnectItem[] }> {
    const now = this.deps.clock.now();
    const { settings, revision } = await this.deps.services.analytics.settings(input.workspaceId);
    const compute = async () => {
      const asOfMs = this.deps.clock.now().getTime();
      const rows = await this.deps.db.transaction(async (tx) => {
        await useAnalyticalSettings(tx);
        const found = await queryRows<ReconnectRow>(
          tx,
          reconnectQuery({
            workspaceId: input.workspaceId,
            asOfMs,
            values: settings.valuesCents,
            coldFactor: DEFAULT_COLD_FACTOR,
            limit: input.limit,
          }),
        );
        return found;
      });
      return { value: { asOfMs, items: rows.map((row) => toItem(row, asOfMs)) } };
    };
    const hour = Math.floor(now.getTime() / LIST_REFRESH_MS);
    const { asOfMs, items } = this.deps.config.CACHE_ENABLED
      ? (
          await this.deps.cache.getOrCompute(
            "top",
            input.workspaceId,
            `reconnect:${revision}:${input.limit}:${hour}`,
            compute,
            { ttlSeconds: LIST_REFRESH_MS / 1000 },
          )
        ).value
      : (await compute()).value;
    return { asOf: new Date(asOfMs), items };
  }

  async setKeepInTouch(input: SetKeepInTouchInput, actor: Actor) {
    const days = input.keepInTouch === null ? null : keepInTouchDays(input.keepInTouch);
    return this.change(input, actor, "keep_in_touch", { keepInTouchDays: days });
  }

  async snooze(input: SnoozeReconnectInput, actor: Actor) {
    const now = this.deps.clock.now().getTime();
    if (input.until.getTime() <= now) throw badRequest("until: must be in the future", ["until"]);
    if (input.until.getTime() > now + MAX_SNOOZE_DAYS * DAY)
      throw badRequest(`until: must be at most ${MAX_SNOOZE_DAYS} days ahead`, ["until"]);
    return this.change(input, actor, "snoozed", { snoozedUntil: input.until });
  }

  /** "Done": nothing is logged; the clock restarts now and the snooze, if any, ends. */
  async done(input: ReconnectContactInput, actor: Actor) {
    return this.change(input, actor, "done", { doneAt: this.deps.clock.now(), snoozedUntil: null });
  }

  /** The contact's keep-in-touch settings (null fields when none were chosen). */
  async get(input: ReconnectContactInput) {
    await this.assertContact(this.deps.db, input);
    const [row] = await this.deps.db
      .select({
        keepInTouchDays: contactReconnect.keepInTouchDays,
        snoozedUntil: contactReconnect.snoozedUntil,
        doneAt: contactReconnect.doneAt,
      })
      .from(contactReconnect)
      .where(and(eq(contactReconnect.workspaceId, input.workspaceId), eq(contactReconnect.contactId, input.contactId)));
    return row ?? { keepInTouchDays: null, snoozedUntil: null, doneAt: null };
  }

  private async change(
    input: ReconnectContactInput,
    actor: Actor,
    change: ReconnectChange,
    values: Partial<Pick<typeof contactReconnect.$inferInsert, "keepInTouchDays" | "snoozedUntil" | "doneAt">>,
  ) {
    const now = this.deps.clock.now();
    return this.deps.transaction(async (tx) => {
      await this.assertContact(tx, input);
      // Keeping a reminder about a restricted person is processing their data (GDPR Art. 18).
      await assertNotRestricted(tx, [input.contactId]);
      const [row] = await tx
        .insert(contactReconnect)
        .values({ contactId: input.contactId, workspaceId: input.workspaceId, ...values, updatedAt: now })
        .onConflictDoUpdate({ target: contactReconnect.contactId, set: { ...values, updatedAt: now } })
        .returning({
          keepInTouchDays: contactReconnect.keepInTouchDays,
          snoozedUntil: contactReconnect.snoozedUntil,
          doneAt: contactReconnect.doneAt,
        });
      await appendEvents(tx, [
        {
          type: "contact.reconnect_changed",
          workspaceId: input.workspaceId,
          actorId: actor.actorId,
          payload: { contactId: input.contactId, change },
        },
      ]);
      return row!;
    });
  }

  private async assertContact(db: Tx | ServiceDeps["db"], input: ReconnectContactInput) {
    const [row] = await db
      .select({ id: contacts.id })
      .from(contacts)
      .where(
        and(eq(contacts.workspaceId, input.workspaceId), eq(contacts.id, input.contactId), isNull(contacts.deletedAt)),
      );
    if (!row) throw notFound("Contact");
  }
}

function toItem(row: ReconnectRow, asOfMs: number): ReconnectItem {
  const cadence = Number(row.cadence);
  const clockMs = Number(row.clock_ms);
  const daysSinceClock = (asOfMs - clockMs) / DAY;
  const clvCents = Number(row.cents);
  const chosen = row.keep_in_touch_days !== null;
  const candidate: ReconnectCandidate = {
    contactId: row.id,
    cadenceDays: cadence,
    cadenceSource: chosen ? "chosen" : "learned",
    daysSinceContact: row.last_ms === null ? null : (asOfMs - Number(row.last_ms)) / DAY,
    daysSinceClock,
    overdueRatio: daysSinceClock / cadence,
    clvCents,
    healthThen: chosen ? null : healthBucket(Number(row.health_then_twice) / 2),
    score: Math.max(clvCents, 1) * (daysSinceClock / cadence),
  };
  return { ...candidate, name: row.name, email: row.email, company: row.company, reason: describeReconnect(candidate) };
}
