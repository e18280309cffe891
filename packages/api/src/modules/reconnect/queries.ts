/**
 * The Reconnect rules of packages/core/src/reconnect in SQL, over the whole workspace in one
 * statement, in two steps:
 *
 * 1. Every contact's interactions — the same (interaction, contact) pairs as analytics, so a
 *    contact cc'd on emails has a rhythm too — aggregated in any order (a scan that may run in
 *    parallel, like any GROUP BY): the last interaction, CLV and the health a month ago.
 * 2. Only the contacts that can still be going cold get a cadence. A chosen one is a column; a
 *    learned one is at least MIN_CADENCE_DAYS, so a contact whose clock is younger than
 *    coldFactor × MIN_CADENCE_DAYS, or that was inactive a month ago, is not cold whatever its
 *    median gap, and its touch days are never read. For the others, the median of the gaps
 *    between the touch days of the last year, from that contact's rows in time order (two
 *    index range scans merged).
 *
 * Then only the cold contacts, ranked, come back to Node. apps/server/test/reconnect.test.ts
 * checks that this gives exactly what the core gives on the same rows.
 */
import {
  ANALYTICS_DAY_MS,
  CADENCE_WINDOW_DAYS,
  FREQUENCY_WINDOW_DAYS,
  HEALTH_LOOKBACK_DAYS,
  MIN_CADENCE_DAYS,
  MIN_TOUCHES_FOR_CADENCE,
  type InteractionValues,
} from "@rapport/core";
import { sql, type SQL } from "drizzle-orm";
import { atInstant, daysBefore, epochMs, healthTwiceSql, interactionValueSql } from "../../platform/analytics-sql";
import { contactRestricted } from "../../platform/privacy/restriction";
import { contactInteractionTimes } from "../interactions/public";

/**
 * The UTC day of a timestamptz, as the core's touchDays counts them (days since the epoch);
 * one day minus another is the gap in days. Date arithmetic, not extract(epoch …), which is
 * numeric and costs seconds over millions of rows.
 */
const utcDay = (instant: SQL) => sql`(${instant} AT TIME ZONE 'UTC')::date`;

export interface ReconnectRow {
  id: string;
  name: string;
  email: string | null;
  company: string | null;
  cents: string | number;
  keep_in_touch_days: number | null;
  cadence: number;
  last_ms: number | null;
  clock_ms: number;
  health_then_twice: number;
}

export interface ReconnectQuery {
  workspaceId: string;
  asOfMs: number;
  values: InteractionValues;
  coldFactor: number;
  limit: number;
}

export function reconnectQuery({ workspaceId, asOfMs, values, coldFactor, limit }: ReconnectQuery): SQL {
  const t0 = asOfMs;
  const t1 = daysBefore(asOfMs, HEALTH_LOOKBACK_DAYS);
  const since = (alias: SQL) => sql`((${t0}::float8 - ${alias}.clock_ms) / ${ANALYTICS_DAY_MS}::float8)`;
  const overdue = sql`(${since(sql`k`)} / k.cadence)`;
  // A learned cadence is at least MIN_CADENCE_DAYS, so a clock after this instant is not cold
  // (rounded up to a whole millisecond: the test may keep a few too many, never too few).
  const youngestColdMs = Math.ceil(daysBefore(t0, MIN_CADENCE_DAYS * coldFactor));
  const touches = contactInteractionTimes(workspaceId, atInstant(t0), {
    contactId: sql`d.id`,
    after: atInstant(daysBefore(t0, CADENCE_WINDOW_DAYS)),
    ordered: true,
  });
  return sql`
    WITH agg AS (
      -- Step 1: each interaction a contact takes part in (filed under it or among its
      -- participants, as analytics counts them), in any order, each half aggregated on its own.
      SELECT h.contact_id,
             max(h.last_at) AS last_at,
             sum(h.cents)::bigint AS cents,
             max(h.p_last_at) AS p_last_at,
             sum(h.p_n90)::int AS p_n90
      FROM ${contactInteractionTimes(workspaceId, atInstant(t0), {
        aggregates: sql`max(i.occurred_at) AS last_at,
          sum(${interactionValueSql(values)})::bigint AS cents,
          max(i.occurred_at) FILTER (WHERE i.occurred_at <= ${atInstant(t1)}) AS p_last_at,
          count(*) FILTER (WHERE i.occurred_at > ${atInstant(daysBefore(t1, FREQUENCY_WINDOW_DAYS))}
                             AND i.occurred_at <= ${atInstant(t1)}) AS p_n90`,
      })} h
      GROUP BY h.contact_id
    ), d AS (
      SELECT c.id, c.name, c.email, c.company,
             coalesce(a.cents, 0) AS cents,
             r.keep_in_touch_days,
             ${epochMs(sql`a.last_at`)} AS last_ms,
             greatest(a.last_at, r.done_at) AS clock_at,
             ${epochMs(sql`greatest(a.last_at, r.done_at)`)} AS clock_ms,
             ${healthTwiceSql(sql`a.p_last_at`, sql`coalesce(a.p_n90, 0)`, t1)} AS health_then_twice
      FROM contacts c
      LEFT JOIN agg a ON a.contact_id = c.id
      LEFT JOIN contact_reconnect r ON r.contact_id = c.id
      WHERE c.workspace_id = ${workspaceId} AND c.deleted_at IS NULL
        AND (r.snoozed_until IS NULL OR r.snoozed_until <= ${atInstant(t0)})
        AND (a.last_at IS NOT NULL OR r.done_at IS NOT NULL)
        -- GDPR: restricted contacts are not processed (Art. 18); erased ones are anonymous rows (Art. 17).
        AND NOT ${contactRestricted(sql`c.id`)}
        AND NOT EXISTS (SELECT 1 FROM gdpr_operations o WHERE o.subject_kind = 'contact' AND o.subject_id = c.id
                          AND o.type = 'contact_erasure' AND o.status = 'completed')
    ), k AS (
      -- Step 2: the cadence of the contacts that can still be cold (see above).
      SELECT d.*, coalesce(d.keep_in_touch_days::float8, learned.days) AS cadence
      FROM d
      CROSS JOIN LATERAL (
        -- In time order the touch days never go down, so the gaps between consecutive distinct
        -- touch days of the last year are the non-zero day steps between consecutive interactions
        -- of that year.
        SELECT CASE WHEN count(*) >= ${MIN_TOUCHES_FOR_CADENCE - 1}
                    THEN greatest(percentile_cont(0.5) WITHIN GROUP (ORDER BY g.gap), ${MIN_CADENCE_DAYS}::float8) END AS days
        FROM (
          SELECT (${utcDay(sql`t.occurred_at`)} - ${utcDay(sql`lag(t.occurred_at) OVER (ORDER BY t.occurred_at)`)})::float8 AS gap
          FROM ${touches} t
          WHERE d.keep_in_touch_days IS NULL
        ) g
        WHERE g.gap > 0
      ) learned
      WHERE (d.keep_in_touch_days IS NOT NULL AND ${since(sql`d`)} > d.keep_in_touch_days)
         OR (d.keep_in_touch_days IS NULL AND d.clock_at <= ${atInstant(youngestColdMs)} AND d.health_then_twice >= 80)
    )
    SELECT k.id, k.name, k.email, k.company, k.cents, k.keep_in_touch_days, k.cadence, k.last_ms, k.clock_ms,
           k.health_then_twice
    FROM k
    WHERE (k.keep_in_touch_days IS NOT NULL AND ${since(sql`k`)} > k.cadence)
       OR (k.keep_in_touch_days IS NULL AND ${since(sql`k`)} > k.cadence * ${coldFactor}::float8 AND k.health_then_twice >= 80)
    ORDER BY greatest(k.cents, 1)::float8 * ${overdue} DESC, ${overdue} DESC, k.id
    LIMIT ${limit}`;
}
