/**
 * The analytics definitions (packages/core/src/analytics) in SQL, over the
 * whole workspace in one statement: interactions are read once (grouped by
 * contact), contacts once, and only integer totals plus the top rows come back
 * to Node. apps/server/test/analytics-property.test.ts checks that these give
 * exactly what the core functions give on the same rows.
 *
 * The scoring fragments (recency, frequency, interaction value) are shared
 * with reconnect: ../../platform/analytics-sql.ts.
 */
import {
  ENGAGEMENT_WINDOW_DAYS,
  FREQUENCY_WINDOW_DAYS,
  TOP_CONTACT_SORTS,
  TREND_DAYS,
  type AnalyticsSettings,
  type AnalyticsSnapshot,
  type FrequencyScore,
  type PeriodAggregates,
  type RecencyScore,
  type TopContactRow,
  type TopContactSort,
} from "@rapport/core";
import { sql, type SQL } from "drizzle-orm";
import {
  atInstant,
  daysBefore,
  epochMs,
  frequencySql,
  interactionValueSql,
  recencySql,
} from "../../platform/analytics-sql";
import { contactRestricted } from "../../platform/privacy/restriction";
import { contactInteractionLinks } from "../interactions/public";

const interactionValue = (settings: AnalyticsSettings) => interactionValueSql(settings.valuesCents);

/**
 * The totals of one period over the `scored` rows: `prefix` selects its columns
 * (current: "", previous: "p_"), `live` which contacts take part.
 */
function totals(prefix: "" | "p_", live: SQL, asOfMs: number, settings: AnalyticsSettings): SQL {
  const col = (name: string) => sql.raw(`${prefix}${name}`);
  const h2 = sql`(${col("r")} + ${col("f")})`;
  const { medium, high } = settings.thresholdsCents;
  return sql`json_build_object(
    'contacts', count(*) FILTER (WHERE ${live}),
    'clvCentsTotal', coalesce(sum(${col("cents")}) FILTER (WHERE ${live}), 0),
    'clvLow', count(*) FILTER (WHERE ${live} AND ${col("cents")} < ${medium}::bigint),
    'clvMedium', count(*) FILTER (WHERE ${live} AND ${col("cents")} >= ${medium}::bigint AND ${col("cents")} < ${high}::bigint),
    'clvHigh', count(*) FILTER (WHERE ${live} AND ${col("cents")} >= ${high}::bigint),
    'healthTwiceTotal', coalesce(sum(${h2}) FILTER (WHERE ${live}), 0),
    'healthy', count(*) FILTER (WHERE ${live} AND ${h2} >= 140),
    'atRisk', count(*) FILTER (WHERE ${live} AND ${h2} >= 80 AND ${h2} < 140),
    'inactiveHealth', count(*) FILTER (WHERE ${live} AND ${h2} < 80),
    -- Interactions filed under the contacts: an email to three of them is counted once here.
    'interactions30d', coalesce(sum(${col("fn30")}) FILTER (WHERE ${live}), 0),
    'newContacts30d', count(*) FILTER (WHERE ${live} AND created_at > ${atInstant(daysBefore(asOfMs, ENGAGEMENT_WINDOW_DAYS))} AND created_at <= ${atInstant(asOfMs)}),
    'contactedContacts', count(*) FILTER (WHERE ${live} AND ${col("n30")} > 0),
    'inactiveContacts', count(*) FILTER (WHERE ${live} AND ${col("n90")} = 0),
    'interactionsTotal', coalesce(sum(${col("fn")}) FILTER (WHERE ${live}), 0)
  )`;
}

/** ORDER BY of each top-contacts sort over rows aliased `alias` (core: compareTopContacts). */
function orderBy(sortBy: TopContactSort, alias: string): SQL {
  const a = alias;
  const order: Record<TopContactSort, string> = {
    clv: `${a}.cents DESC, ${a}.id`,
    interactions: `${a}.n DESC, ${a}.id`,
    recency: `${a}.last_at DESC NULLS LAST, ${a}.id`,
    health: `(${a}.r + ${a}.f) DESC, ${a}.id`,
  };
  return sql.raw(order[sortBy]);
}

function topList(sortBy: TopContactSort, limit: number): SQL {
  return sql`(SELECT coalesce(json_agg(json_build_object(
      'id', t.id, 'name', c.name, 'email', c.email, 'company', c.company,
      'clvCents', t.cents, 'healthTwice', t.r + t.f, 'recency', t.r, 'frequency', t.f,
      'lastContactMs', ${epochMs(sql`t.last_at`)}, 'interactionCount', t.n
    ) ORDER BY ${orderBy(sortBy, "t")}), '[]'::json)
    FROM (SELECT s.id, s.cents, s.n, s.last_at, s.r, s.f FROM scored s ORDER BY ${orderBy(sortBy, "s")} LIMIT ${limit}) t
    JOIN contacts c ON c.id = t.id)`;
}

/**
 * One statement: every figure of `AnalyticsSnapshot` for the workspace as of
 * `asOfMs` (and as of asOfMs − 30 days for the trend and the KPI changes).
 */
export function snapshotQuery(workspaceId: string, asOfMs: number, settings: AnalyticsSettings, topLimit: number): SQL {
  const t0 = asOfMs;
  const t1 = daysBefore(asOfMs, TREND_DAYS);
  const value = interactionValue(settings);
  const tops = TOP_CONTACT_SORTS.map((sortBy) => sql`${topList(sortBy, topLimit)} AS ${sql.raw(`top_${sortBy}`)}`);
  return sql`
    WITH agg AS (
      SELECT i.contact_id,
             count(*)::int AS n,
             sum(${value})::bigint AS cents,
             max(i.occurred_at) AS last_at,
             count(*) FILTER (WHERE i.occurred_at > ${atInstant(daysBefore(t0, ENGAGEMENT_WINDOW_DAYS))})::int AS n30,
             count(*) FILTER (WHERE i.occurred_at > ${atInstant(daysBefore(t0, FREQUENCY_WINDOW_DAYS))})::int AS n90,
             count(*) FILTER (WHERE i.filed)::int AS fn,
             count(*) FILTER (WHERE i.filed AND i.occurred_at > ${atInstant(daysBefore(t0, ENGAGEMENT_WINDOW_DAYS))})::int AS fn30,
             count(*) FILTER (WHERE i.occurred_at <= ${atInstant(t1)})::int AS p_n,
             coalesce(sum(${value}) FILTER (WHERE i.occurred_at <= ${atInstant(t1)}), 0)::bigint AS p_cents,
             max(i.occurred_at) FILTER (WHERE i.occurred_at <= ${atInstant(t1)}) AS p_last_at,
             count(*) FILTER (WHERE i.occurred_at > ${atInstant(daysBefore(t1, ENGAGEMENT_WINDOW_DAYS))} AND i.occurred_at <= ${atInstant(t1)})::int AS p_n30,
             count(*) FILTER (WHERE i.occurred_at > ${atInstant(daysBefore(t1, FREQUENCY_WINDOW_DAYS))} AND i.occurred_at <= ${atInstant(t1)})::int AS p_n90,
             count(*) FILTER (WHERE i.filed AND i.occurred_at <= ${atInstant(t1)})::int AS p_fn,
             count(*) FILTER (WHERE i.filed AND i.occurred_at > ${atInstant(daysBefore(t1, ENGAGEMENT_WINDOW_DAYS))} AND i.occurred_at <= ${atInstant(t1)})::int AS p_fn30
      FROM ${contactInteractionLinks(workspaceId, atInstant(t0))} i
      GROUP BY i.contact_id
    ), scored AS MATERIALIZED (
      SELECT c.id, c.created_at,
             coalesce(a.n, 0) AS n, coalesce(a.cents, 0) AS cents, a.last_at,
             coalesce(a.n30, 0) AS n30, coalesce(a.n90, 0) AS n90,
             coalesce(a.fn, 0) AS fn, coalesce(a.fn30, 0) AS fn30,
             ${recencySql(sql`a.last_at`, t0)} AS r,
             ${frequencySql(sql`coalesce(a.n90, 0)`)} AS f,
             c.created_at <= ${atInstant(t1)} AS p_live,
             coalesce(a.p_n, 0) AS p_n, coalesce(a.p_cents, 0) AS p_cents,
             coalesce(a.p_n30, 0) AS p_n30, coalesce(a.p_n90, 0) AS p_n90,
             coalesce(a.p_fn, 0) AS p_fn, coalesce(a.p_fn30, 0) AS p_fn30,
             ${recencySql(sql`a.p_last_at`, t1)} AS p_r,
             ${frequencySql(sql`coalesce(a.p_n90, 0)`)} AS p_f
      FROM contacts c
      LEFT JOIN agg a ON a.contact_id = c.id
      WHERE c.workspace_id = ${workspaceId} AND c.deleted_at IS NULL
        -- GDPR: restricted contacts (Art. 18) are left out of analytics.
        AND NOT ${contactRestricted(sql`c.id`)}
    )
    SELECT totals.current, totals.previous, ${sql.join(tops, sql`, `)}
    FROM (
      SELECT ${totals("", sql`true`, t0, settings)} AS current,
             ${totals("p_", sql`p_live`, t1, settings)} AS previous
      FROM scored
    ) totals`;
}

export interface SnapshotRow {
  current: unknown;
  previous: unknown;
  top_clv: unknown;
  top_interactions: unknown;
  top_recency: unknown;
  top_health: unknown;
}

const json = <T>(value: unknown): T => (typeof value === "string" ? (JSON.parse(value) as T) : (value as T));

const AGGREGATE_KEYS = [
  "contacts",
  "clvCentsTotal",
  "clvLow",
  "clvMedium",
  "clvHigh",
  "healthTwiceTotal",
  "healthy",
  "atRisk",
  "inactiveHealth",
  "interactions30d",
  "newContacts30d",
  "contactedContacts",
  "inactiveContacts",
  "interactionsTotal",
] as const satisfies readonly (keyof PeriodAggregates)[];

function aggregates(value: unknown): PeriodAggregates {
  const raw = json<Record<string, unknown>>(value);
  const result = {} as PeriodAggregates;
  for (const key of AGGREGATE_KEYS) result[key] = Number(raw[key] ?? 0);
  return result;
}

function topRows(value: unknown): TopContactRow[] {
  return json<Record<string, unknown>[]>(value).map((row) => ({
    id: String(row.id),
    name: String(row.name),
    email: (row.email as string | null) ?? null,
    company: (row.company as string | null) ?? null,
    clvCents: Number(row.clvCents),
    healthTwice: Number(row.healthTwice),
    recency: Number(row.recency) as RecencyScore,
    frequency: Number(row.frequency) as FrequencyScore,
    lastContactMs: row.lastContactMs === null || row.lastContactMs === undefined ? null : Number(row.lastContactMs),
    interactionCount: Number(row.interactionCount),
  }));
}

export function toSnapshot(row: SnapshotRow, asOfMs: number, settings: AnalyticsSettings): AnalyticsSnapshot {
  return {
    asOfMs,
    settings,
    current: aggregates(row.current),
    previous: aggregates(row.previous),
    top: {
      clv: topRows(row.top_clv),
      interactions: topRows(row.top_interactions),
      recency: topRows(row.top_recency),
      health: topRows(row.top_health),
    },
  };
}

// ---------------------------------------------------------------- export

/** Per-contact figures for the export, in the order of `sortBy` (the whole workspace). */
export function exportQuery(
  workspaceId: string,
  asOfMs: number,
  settings: AnalyticsSettings,
  sortBy: TopContactSort,
): SQL {
  const value = interactionValue(settings);
  return sql`
    SELECT s.id, c.name, c.email, c.company, s.cents::float8 AS cents, s.r, s.f, s.n,
           ${epochMs(sql`s.last_at`)} AS last_ms
    FROM (
      SELECT c.id, coalesce(a.n, 0) AS n, coalesce(a.cents, 0) AS cents, a.last_at,
             ${recencySql(sql`a.last_at`, asOfMs)} AS r,
             ${frequencySql(sql`coalesce(a.n90, 0)`)} AS f
      FROM contacts c
      LEFT JOIN (
        SELECT i.contact_id, count(*)::int AS n, sum(${value})::bigint AS cents, max(i.occurred_at) AS last_at,
               count(*) FILTER (WHERE i.occurred_at > ${atInstant(daysBefore(asOfMs, FREQUENCY_WINDOW_DAYS))})::int AS n90
        FROM ${contactInteractionLinks(workspaceId, atInstant(asOfMs))} i
        GROUP BY i.contact_id
      ) a ON a.contact_id = c.id
      WHERE c.workspace_id = ${workspaceId} AND c.deleted_at IS NULL
        -- GDPR: restricted contacts (Art. 18) are left out of analytics.
        AND NOT ${contactRestricted(sql`c.id`)}
    ) s
    JOIN contacts c ON c.id = s.id
    ORDER BY ${orderBy(sortBy, "s")}`;
}

export interface ExportRow {
  id: string;
  name: string;
  email: string | null;
  company: string | null;
  cents: number;
  r: number;
  f: number;
  n: number;
  last_ms: number | null;
}

// ---------------------------------------------------------------- timeseries

/**
 * Interactions of live contacts in [from, to) per calendar day or ISO week
 * (Monday) in `timeZone`, by type. Every bucket is present (zeros included);
 * the first may start before `from`. Bucket starts are computed once (local
 * midnights → instants) and each row is placed with width_bucket (a binary
 * search), not converted to local time row by row; deleted contacts are
 * left out with an anti-join on the few deleted ones (partial index).
 */
export function timeseriesQuery(
  workspaceId: string,
  fromMs: number,
  toMs: number,
  bucket: "day" | "week",
  timeZone: string,
): SQL {
  const step = bucket === "day" ? "1 day" : "7 days";
  return sql`
    WITH buckets AS (
      SELECT (local_start AT TIME ZONE ${timeZone}::text) AS starts_at, row_number() OVER (ORDER BY local_start)::int AS k
      FROM generate_series(
             date_trunc(${bucket}::text, ${atInstant(fromMs)} AT TIME ZONE ${timeZone}::text),
             (${atInstant(toMs)} AT TIME ZONE ${timeZone}::text) - interval '1 microsecond',
             ${step}::interval) AS local_start
    ), counts AS (
      SELECT width_bucket(i.occurred_at, (SELECT array_agg(starts_at ORDER BY k) FROM buckets)) AS k, i.type, count(*)::int AS n
      FROM interactions i
      WHERE i.workspace_id = ${workspaceId} AND i.occurred_at >= ${atInstant(fromMs)} AND i.occurred_at < ${atInstant(toMs)}
        AND NOT EXISTS (SELECT 1 FROM contacts d WHERE d.id = i.contact_id AND d.workspace_id = ${workspaceId} AND d.deleted_at IS NOT NULL)
        AND NOT ${contactRestricted(sql`i.contact_id`)}
      GROUP BY 1, 2
    )
    SELECT ${epochMs(sql`b.starts_at`)} AS starts_ms, c.type, coalesce(c.n, 0)::int AS n
    FROM buckets b
    LEFT JOIN counts c ON c.k = b.k
    ORDER BY b.k, c.type`;
}
