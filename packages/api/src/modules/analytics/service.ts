import { createHash } from "node:crypto";
import {
  ANALYTICS_DAY_MS,
  ANALYTICS_INTERACTION_TYPES,
  centsToDollars,
  clvBucket,
  daysBetween,
  defaultAsOf,
  DEFAULT_ANALYTICS_SETTINGS,
  dollarsToCents,
  ENGAGEMENT_WINDOW_DAYS,
  FREQUENCY_WINDOW_DAYS,
  frequencyRate,
  frequencyScore,
  healthBucket,
  healthScore,
  recencyScore,
  settingsInDollars,
  toClvMetrics,
  toEngagementMetrics,
  toHealthMetrics,
  toMetrics,
  toPreviousPeriod,
  toTopContacts,
  TOP_CONTACTS_MAX,
  type AnalyticsInteractionType,
  type AnalyticsSettings,
  type AnalyticsSnapshot,
  type TopContactSort,
} from "@rapport/core";
import { analyticsSettings, queryRows } from "@rapport/db";
import { eq, sql } from "drizzle-orm";
import { badRequest, forbidden } from "../../errors";
import { useAnalyticalSettings } from "../../platform/analytics-sql";
import type { ServiceDeps } from "../../platform/deps";
import { recordAudit } from "../../platform/audit";
import type { Actor } from "../../platform/actor";
import { CONTACT_RESTRICTED_MESSAGE } from "../../platform/privacy/restriction";
import { contactInteractionLinks } from "../interactions/public";
import { AnalyticsCache } from "./cache";
import { exportQuery, snapshotQuery, timeseriesQuery, toSnapshot, type ExportRow, type SnapshotRow } from "./queries";
import { createExportLink } from "./link";
import type { SetValuesInput } from "@rapport/core/schemas";
import type { ExportInput, TimeseriesInput } from "./schemas";

/** A workspace's settings and their revision (0 = never changed: the defaults). */
export interface StoredSettings {
  settings: AnalyticsSettings;
  revision: number;
}

const EXPORT_BATCH = 2_000;

/**
 * Analytics of a workspace: CLV, relationship health, engagement, top
 * contacts, time series and exports. Definitions live in packages/core
 * (analytics/); here they run as SQL over the whole workspace
 * (./queries.ts) and are cached for an hour per (workspace, settings
 * revision, asOf) on the shared cache layer, whose per-workspace generation
 * moves with every contact.* / interaction.* event.
 */
export class AnalyticsService {
  private readonly cache: AnalyticsCache;

  constructor(private readonly deps: ServiceDeps) {
    this.cache = new AnalyticsCache(deps.config.CACHE_ENABLED ? deps.cache : null, () => deps.clock.now());
  }

  /** The asOf of a request: as given, or now rounded up to the minute. */
  resolveAsOf(asOf: Date | undefined): Date {
    return asOf ?? defaultAsOf(this.deps.clock.now());
  }

  /** analytics.export: a 60-second signed link to the file, for the caller (see ./link.ts, ./export.ts). */
  exportLink(input: ExportInput, userId: string) {
    const now = this.deps.clock.now();
    const { workspaceId, format, sortBy } = input;
    return createExportLink(this.deps.config, now, {
      workspaceId,
      userId,
      format,
      sortBy,
      asOf: this.resolveAsOf(input.asOf),
    });
  }

  async settings(workspaceId: string): Promise<StoredSettings> {
    const [row] = await this.deps.db
      .select()
      .from(analyticsSettings)
      .where(eq(analyticsSettings.workspaceId, workspaceId));
    if (!row) return { settings: DEFAULT_ANALYTICS_SETTINGS, revision: 0 };
    return {
      settings: {
        valuesCents: {
          email: row.emailCents,
          meeting: row.meetingCents,
          call: row.callCents,
          linkedin: row.linkedinCents,
          note: row.noteCents,
        },
        thresholdsCents: { medium: Number(row.mediumThresholdCents), high: Number(row.highThresholdCents) },
      },
      revision: row.revision,
    };
  }

  /** Computes the snapshot directly (no cache): one SQL statement over the whole workspace. */
  async computeSnapshot(
    workspaceId: string,
    asOf: Date,
    settings: AnalyticsSettings,
  ): Promise<{ snapshot: AnalyticsSnapshot }> {
    const row = await this.deps.db.transaction(async (tx) => {
      await useAnalyticalSettings(tx);
      const [result] = await queryRows<SnapshotRow>(
        tx,
        snapshotQuery(workspaceId, asOf.getTime(), settings, TOP_CONTACTS_MAX),
      );
      return result!;
    });
    return { snapshot: toSnapshot(row, asOf.getTime(), settings) };
  }

  /** The snapshot through the cache: one computation serves metrics, clv, health, engagement and topContacts. */
  async snapshot(workspaceId: string, asOfInput: Date | undefined) {
    const asOf = this.resolveAsOf(asOfInput);
    const { settings, revision } = await this.settings(workspaceId);
    const result = await this.cache.getOrCompute(workspaceId, `snapshot:r${revision}:${asOf.getTime()}`, async () => {
      const { snapshot } = await this.computeSnapshot(workspaceId, asOf, settings);
      return { value: snapshot };
    });
    return { snapshot: result.value, cached: result.cached, computedAt: result.computedAt };
  }

  /**
   * One contact's figures as of `asOf`, by the definitions of the workspace figures (README
   * "Analytics"): the interactions it takes part in grouped by type in one statement, scored with
   * the core rules.
   */
  async contactRelationship(input: { workspaceId: string; contactId: string; asOf?: Date }) {
    const { workspaceId, contactId } = input;
    // NOT_FOUND for another workspace's or a deleted contact.
    await this.deps.services.contacts.get(workspaceId, contactId);
    if (await this.deps.restrictions.isRestricted("contact", contactId)) throw forbidden(CONTACT_RESTRICTED_MESSAGE);
    const asOf = this.resolveAsOf(input.asOf);
    const t0 = asOf.getTime();
    const { settings } = await this.settings(workspaceId);
    const since = (days: number) => new Date(t0 - days * ANALYTICS_DAY_MS).toISOString();
    const rows = await queryRows<{
      type: AnalyticsInteractionType;
      n: number;
      last_ms: number;
      n30: number;
      n90: number;
    }>(
      this.deps.db,
      sql`SELECT type, count(*)::int AS n, (extract(epoch FROM max(occurred_at)) * 1000)::float8 AS last_ms,
                 count(*) FILTER (WHERE occurred_at > ${since(ENGAGEMENT_WINDOW_DAYS)}::timestamptz)::int AS n30,
                 count(*) FILTER (WHERE occurred_at > ${since(FREQUENCY_WINDOW_DAYS)}::timestamptz)::int AS n90
          FROM ${contactInteractionLinks(workspaceId, sql`${asOf.toISOString()}::timestamptz`)} i
          WHERE contact_id = ${contactId}::uuid
          GROUP BY type`,
    );
    let interactions = 0;
    let interactions30d = 0;
    let interactions90d = 0;
    let cents = 0;
    let lastMs: number | null = null;
    for (const row of rows) {
      interactions += Number(row.n);
      interactions30d += Number(row.n30);
      interactions90d += Number(row.n90);
      cents += Number(row.n) * (settings.valuesCents[row.type] ?? 0);
      lastMs = lastMs === null ? Number(row.last_ms) : Math.max(lastMs, Number(row.last_ms));
    }
    const recency = recencyScore(daysBetween(lastMs, t0));
    const frequency = frequencyScore(frequencyRate(interactions90d));
    const score = healthScore(recency, frequency);
    return {
      contactId,
      asOf,
      health: { score, recency, frequency, bucket: healthBucket(score) },
      clv: { value: centsToDollars(cents), bucket: clvBucket(cents, settings.thresholdsCents) },
      lastContactAt: lastMs === null ? null : new Date(lastMs),
      interactions,
      interactions30d,
      interactions90d,
    };
  }

  async metrics(input: { workspaceId: string; asOf?: Date; sortBy: TopContactSort; limit: number }) {
    const { snapshot, cached, computedAt } = await this.snapshot(input.workspaceId, input.asOf);
    return {
      ...toMetrics(snapshot, { sortBy: input.sortBy, limit: input.limit }),
      sortBy: input.sortBy,
      cached,
      computedAt,
    };
  }

  async clv(input: { workspaceId: string; asOf?: Date }) {
    const { snapshot, cached, computedAt } = await this.snapshot(input.workspaceId, input.asOf);
    return {
      asOf: new Date(snapshot.asOfMs),
      contacts: snapshot.current.contacts,
      ...toClvMetrics(snapshot),
      cached,
      computedAt,
    };
  }

  async health(input: { workspaceId: string; asOf?: Date }) {
    const { snapshot, cached, computedAt } = await this.snapshot(input.workspaceId, input.asOf);
    return {
      asOf: new Date(snapshot.asOfMs),
      contacts: snapshot.current.contacts,
      ...toHealthMetrics(snapshot),
      cached,
      computedAt,
    };
  }

  async engagement(input: { workspaceId: string; asOf?: Date }) {
    const { snapshot, cached, computedAt } = await this.snapshot(input.workspaceId, input.asOf);
    return {
      asOf: new Date(snapshot.asOfMs),
      contacts: snapshot.current.contacts,
      ...toEngagementMetrics(snapshot),
      previousPeriod: toPreviousPeriod(snapshot),
      cached,
      computedAt,
    };
  }

  async topContacts(input: { workspaceId: string; asOf?: Date; sortBy: TopContactSort; limit: number }) {
    const { snapshot, cached, computedAt } = await this.snapshot(input.workspaceId, input.asOf);
    return {
      asOf: new Date(snapshot.asOfMs),
      sortBy: input.sortBy,
      items: toTopContacts(snapshot, input.sortBy, input.limit),
      cached,
      computedAt,
    };
  }

  /** Interactions per calendar day or week (in `timeZone`) and type, for [from, to). */
  async timeseries(input: TimeseriesInput) {
    const to = input.to ?? defaultAsOf(this.deps.clock.now());
    const from = input.from ?? new Date(to.getTime() - 30 * ANALYTICS_DAY_MS);
    if (from >= to) throw badRequest("from must be before to", ["from"]);
    const zoneKey = createHash("sha256").update(input.timeZone).digest("hex").slice(0, 16);
    const result = await this.cache.getOrCompute(
      input.workspaceId,
      `ts:${input.bucket}:${zoneKey}:${from.getTime()}:${to.getTime()}`,
      async () => {
        let rows: { starts_ms: number; type: AnalyticsInteractionType | null; n: number }[];
        try {
          rows = await this.deps.db.transaction(async (tx) => {
            await useAnalyticalSettings(tx);
            return queryRows(
              tx,
              timeseriesQuery(input.workspaceId, from.getTime(), to.getTime(), input.bucket, input.timeZone),
            );
          });
        } catch (error) {
          // A zone the browser knows but this PostgreSQL does not.
          if (
            /time zone/i.test(
              String((error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message),
            )
          ) {
            throw badRequest(`timeZone: PostgreSQL does not know "${input.timeZone}"`, ["timeZone"]);
          }
          throw error;
        }
        const buckets: Bucket[] = [];
        for (const row of rows) {
          const startsMs = Number(row.starts_ms);
          let bucket = buckets.at(-1);
          if (!bucket || bucket.startsMs !== startsMs)
            buckets.push((bucket = { startsMs, email: 0, meeting: 0, call: 0, linkedin: 0, note: 0, total: 0 }));
          if (row.type) {
            bucket[row.type] += Number(row.n);
            bucket.total += Number(row.n);
          }
        }
        return { value: buckets };
      },
    );
    const totals = { email: 0, meeting: 0, call: 0, linkedin: 0, note: 0, total: 0 };
    for (const bucket of result.value)
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += bucket[key];
    return {
      from,
      to,
      bucket: input.bucket,
      timeZone: input.timeZone,
      buckets: result.value.map(({ startsMs, ...counts }) => ({ startsAt: new Date(startsMs), ...counts })),
      totals,
      cached: result.cached,
      computedAt: result.computedAt,
    };
  }

  /** Owners/admins: change values and thresholds. The new revision makes every cached answer of the workspace obsolete. */
  async setValues(input: SetValuesInput, actor: Actor) {
    return this.deps.transaction(async (tx) => {
      const [current] = await tx
        .select()
        .from(analyticsSettings)
        .where(eq(analyticsSettings.workspaceId, input.workspaceId))
        .for("update");
      const base: AnalyticsSettings =
        !current || input.reset
          ? DEFAULT_ANALYTICS_SETTINGS
          : {
              valuesCents: {
                email: current.emailCents,
                meeting: current.meetingCents,
                call: current.callCents,
                linkedin: current.linkedinCents,
                note: current.noteCents,
              },
              thresholdsCents: {
                medium: Number(current.mediumThresholdCents),
                high: Number(current.highThresholdCents),
              },
            };
      const valuesCents = { ...base.valuesCents };
      for (const type of ANALYTICS_INTERACTION_TYPES) {
        const dollars = input.values?.[type];
        if (dollars !== undefined) valuesCents[type] = dollarsToCents(dollars);
      }
      const thresholdsCents = {
        medium:
          input.thresholds?.medium !== undefined
            ? dollarsToCents(input.thresholds.medium)
            : base.thresholdsCents.medium,
        high: input.thresholds?.high !== undefined ? dollarsToCents(input.thresholds.high) : base.thresholdsCents.high,
      };
      if (thresholdsCents.high <= thresholdsCents.medium) {
        throw badRequest("thresholds.high: must be greater than the medium threshold", ["thresholds", "high"]);
      }
      const now = this.deps.clock.now();
      const row = {
        emailCents: valuesCents.email,
        meetingCents: valuesCents.meeting,
        callCents: valuesCents.call,
        linkedinCents: valuesCents.linkedin,
        noteCents: valuesCents.note,
        mediumThresholdCents: thresholdsCents.medium,
        highThresholdCents: thresholdsCents.high,
        updatedBy: actor.actorId,
        updatedAt: now,
      };
      const [saved] = await tx
        .insert(analyticsSettings)
        .values({ workspaceId: input.workspaceId, ...row, revision: 1 })
        .onConflictDoUpdate({
          target: analyticsSettings.workspaceId,
          set: { ...row, revision: sql`${analyticsSettings.revision} + 1` },
        })
        .returning({ revision: analyticsSettings.revision });
      const settings: AnalyticsSettings = { valuesCents, thresholdsCents };
      const dollars = settingsInDollars(settings);
      await recordAudit(tx, {
        action: "analytics.values_changed",
        workspaceId: input.workspaceId,
        actorId: actor.actorId,
        targetType: "workspace",
        targetId: input.workspaceId,
        ip: actor.ip,
        userAgent: actor.userAgent,
        metadata: { ...dollars, revision: saved!.revision },
      });
      return { ...dollars, revision: saved!.revision, updatedAt: now };
    });
  }

  /**
   * Streams per-contact figures of the whole workspace in `sortBy` order:
   * a server-side cursor in a read-only transaction, `EXPORT_BATCH` rows at a
   * time, each batch handed to `onBatch` (which may wait for the client).
   * On PGlite the transaction would hold the one connection while a slow client
   * reads, stopping every other request: there all batches are read first and
   * handed over after commit (embedded workspaces are small).
   */
  async streamExport(
    workspaceId: string,
    options: { sortBy: TopContactSort; asOf: Date },
    onBatch: (rows: ExportRow[]) => Promise<void>,
  ): Promise<{ rows: number }> {
    const { settings } = await this.settings(workspaceId);
    let total = 0;
    const afterCommit: ExportRow[][] | null = this.deps.databaseKind === "pglite" ? [] : null;
    await this.deps.db.transaction(async (tx) => {
      await tx.execute(sql`SET TRANSACTION READ ONLY`);
      await useAnalyticalSettings(tx);
      await tx.execute(
        sql`DECLARE analytics_export NO SCROLL CURSOR FOR ${exportQuery(workspaceId, options.asOf.getTime(), settings, options.sortBy)}`,
      );
      for (;;) {
        const rows = await queryRows<ExportRow>(
          tx,
          sql`FETCH FORWARD ${sql.raw(String(EXPORT_BATCH))} FROM analytics_export`,
        );
        if (rows.length === 0) break;
        total += rows.length;
        if (afterCommit) afterCommit.push(rows);
        else await onBatch(rows);
        if (rows.length < EXPORT_BATCH) break;
      }
      await tx.execute(sql`CLOSE analytics_export`);
    });
    for (const rows of afterCommit ?? []) await onBatch(rows);
    return { rows: total };
  }
}

interface Bucket {
  startsMs: number;
  email: number;
  meeting: number;
  call: number;
  linkedin: number;
  note: number;
  total: number;
}
