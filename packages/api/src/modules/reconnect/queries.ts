/**
 * The Reconnect rules of packages/core/src/reconnect in SQL, over the whole workspace in one
 * statement: touch days, their gaps and the median per contact, the last interaction, CLV
 * and the health a month ago, then only the cold contacts, ranked, come back to Node.
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
  return sql`
    WITH touch AS (
      SELECT DISTINCT i.contact_id, floor(extract(epoch FROM i.occurred_at) / 86400)::int AS day
      FROM interactions i
      WHERE i.workspace_id = ${workspaceId} AND i.occurred_at <= ${atInstant(t0)}
        AND i.occurred_at > ${atInstant(daysBefore(t0, CADENCE_WINDOW_DAYS))}
    ), gap AS (
      SELECT contact_id, day - lag(day) OVER (PARTITION BY contact_id ORDER BY day) AS gap FROM touch
    ), learned AS (
      SELECT contact_id, greatest(percentile_cont(0.5) WITHIN GROUP (ORDER BY gap), ${MIN_CADENCE_DAYS}::float8) AS days
      FROM gap WHERE gap IS NOT NULL
      GROUP BY contact_id HAVING count(*) >= ${MIN_TOUCHES_FOR_CADENCE - 1}
    ), agg AS (
      SELECT i.contact_id,
             max(i.occurred_at) AS last_at,
             sum(${interactionValueSql(values)})::bigint AS cents,
             max(i.occurred_at) FILTER (WHERE i.occurred_at <= ${atInstant(t1)}) AS p_last_at,
             count(*) FILTER (WHERE i.occurred_at > ${atInstant(daysBefore(t1, FREQUENCY_WINDOW_DAYS))}
                                AND i.occurred_at <= ${atInstant(t1)})::int AS p_n90
      FROM interactions i
      WHERE i.workspace_id = ${workspaceId} AND i.occurred_at <= ${atInstant(t0)}
      GROUP BY i.contact_id
    ), d AS (
      SELECT c.id, c.name, c.email, c.company,
             coalesce(a.cents, 0) AS cents,
             r.keep_in_touch_days,
             coalesce(r.keep_in_touch_days::float8, l.days) AS cadence,
             ${epochMs(sql`a.last_at`)} AS last_ms,
             ${epochMs(sql`greatest(a.last_at, r.done_at)`)} AS clock_ms,
             ${healthTwiceSql(sql`a.p_last_at`, sql`coalesce(a.p_n90, 0)`, t1)} AS health_then_twice
      FROM contacts c
      LEFT JOIN agg a ON a.contact_id = c.id
      LEFT JOIN learned l ON l.contact_id = c.id
      LEFT JOIN contact_reconnect r ON r.contact_id = c.id
      WHERE c.workspace_id = ${workspaceId} AND c.deleted_at IS NULL
        AND (r.snoozed_until IS NULL OR r.snoozed_until <= ${atInstant(t0)})
        AND (r.keep_in_touch_days IS NOT NULL OR l.days IS NOT NULL)
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
