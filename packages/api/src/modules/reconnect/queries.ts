/**
 * The Reconnect rules of packages/core/src/reconnect in SQL, over the whole workspace in one
 * statement that reads each contact's interactions — the same (interaction, contact) pairs as
 * analytics, so a contact cc'd on emails has a rhythm too — once, in (contact, time) order: touch
 * days, their gaps and the median per contact, the last interaction, CLV and the health a
 * month ago; then only the cold contacts, ranked, come back to Node.
 * apps/server/test/reconnect.test.ts checks that this gives exactly what the core gives on
 * the same rows.
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
  const since = sql`((${t0}::float8 - d.clock_ms) / ${ANALYTICS_DAY_MS}::float8)`;
  const overdue = sql`(${since} / d.cadence)`;
  const gapInWindow = sql`i.prev_at > ${atInstant(daysBefore(t0, CADENCE_WINDOW_DAYS))}
    AND ${utcDay(sql`i.occurred_at`)} > ${utcDay(sql`i.prev_at`)}`;
  return sql`
    WITH seq AS (
      -- Each interaction a contact takes part in (filed under it or among its participants, as
      -- analytics counts them) with the one before it for the same contact, in time order.
      SELECT i.contact_id, i.type, i.occurred_at, lag(i.occurred_at) OVER w AS prev_at
      FROM ${contactInteractionTimes(workspaceId, atInstant(t0))} i
      WINDOW w AS (PARTITION BY i.contact_id ORDER BY i.occurred_at)
    ), agg AS (
      -- One pass per contact. In time order the touch days never go down, so the gaps between
      -- consecutive distinct touch days of the last year are the non-zero day steps between
      -- consecutive interactions that are both in that year.
      SELECT i.contact_id,
             max(i.occurred_at) AS last_at,
             sum(${interactionValueSql(values)})::bigint AS cents,
             max(i.occurred_at) FILTER (WHERE i.occurred_at <= ${atInstant(t1)}) AS p_last_at,
             count(*) FILTER (WHERE i.occurred_at > ${atInstant(daysBefore(t1, FREQUENCY_WINDOW_DAYS))}
                                AND i.occurred_at <= ${atInstant(t1)})::int AS p_n90,
             CASE WHEN count(*) FILTER (WHERE ${gapInWindow}) >= ${MIN_TOUCHES_FOR_CADENCE - 1}
                  THEN greatest(percentile_cont(0.5) WITHIN GROUP (ORDER BY (${utcDay(sql`i.occurred_at`)} - ${utcDay(sql`i.prev_at`)})::float8)
                                  FILTER (WHERE ${gapInWindow}),
                                ${MIN_CADENCE_DAYS}::float8) END AS learned_days
      FROM seq i
      GROUP BY i.contact_id
    ), d AS (
      SELECT c.id, c.name, c.email, c.company,
             coalesce(a.cents, 0) AS cents,
             r.keep_in_touch_days,
             coalesce(r.keep_in_touch_days::float8, a.learned_days) AS cadence,
             ${epochMs(sql`a.last_at`)} AS last_ms,
             ${epochMs(sql`greatest(a.last_at, r.done_at)`)} AS clock_ms,
             ${healthTwiceSql(sql`a.p_last_at`, sql`coalesce(a.p_n90, 0)`, t1)} AS health_then_twice
      FROM contacts c
      LEFT JOIN agg a ON a.contact_id = c.id
      LEFT JOIN contact_reconnect r ON r.contact_id = c.id
      WHERE c.workspace_id = ${workspaceId} AND c.deleted_at IS NULL
        AND (r.snoozed_until IS NULL OR r.snoozed_until <= ${atInstant(t0)})
        AND (r.keep_in_touch_days IS NOT NULL OR a.learned_days IS NOT NULL)
        AND (a.last_at IS NOT NULL OR r.done_at IS NOT NULL)
        -- GDPR: restricted contacts are not processed (Art. 18); erased ones are anonymous rows (Art. 17).
        AND NOT EXISTS (SELECT 1 FROM gdpr_restrictions x WHERE x.subject_kind = 'contact' AND x.subject_id = c.id)
        AND NOT EXISTS (SELECT 1 FROM gdpr_operations o WHERE o.subject_kind = 'contact' AND o.subject_id = c.id
                          AND o.type = 'contact_erasure' AND o.status = 'completed')
    )
    SELECT d.id, d.name, d.email, d.company, d.cents, d.keep_in_touch_days, d.cadence, d.last_ms, d.clock_ms,
           d.health_then_twice
    FROM d
    WHERE (d.keep_in_touch_days IS NOT NULL AND ${since} > d.cadence)
       OR (d.keep_in_touch_days IS NULL AND ${since} > d.cadence * ${coldFactor}::float8 AND d.health_then_twice >= 80)
    ORDER BY greatest(d.cents, 1)::float8 * ${overdue} DESC, ${overdue} DESC, d.id
    LIMIT ${limit}`;
}
