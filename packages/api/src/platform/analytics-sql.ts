/**
 * The relationship figures of packages/core/src/analytics as SQL fragments, for every module
 * that computes them over a whole workspace in one statement (analytics, reconnect). One
 * definition, so a change to the scoring cannot leave one of them behind; each module's
 * property test checks its statement against the core functions on the same rows.
 *
 * Window boundaries are computed in JavaScript (asOf − n × 86,400,000 ms) and passed in, so
 * "days" are real days on both sides and the comparisons are the core's:
 * d < 7 ⇔ last > asOf − 7 d; f > 10 ⇔ count > 30; etc.
 */
import { ANALYTICS_DAY_MS, type InteractionValues } from "@rapport/core";
import type { Tx } from "@rapport/db";
import { sql, type SQL } from "drizzle-orm";

/** An instant as a timestamptz parameter. */
export const atInstant = (ms: number): SQL => sql`${new Date(ms).toISOString()}::timestamptz`;

export const daysBefore = (ms: number, days: number): number => ms - days * ANALYTICS_DAY_MS;

/** A timestamptz column as milliseconds since the epoch (float8, exact for ms precision). */
export const epochMs = (column: SQL): SQL => sql`floor(extract(epoch FROM ${column}) * 1000)::float8`;

/** Σ-able value of one interaction row aliased `i`, in cents. */
export function interactionValueSql(values: InteractionValues): SQL {
  return sql`CASE i.type WHEN 'email' THEN ${values.email}::int WHEN 'meeting' THEN ${values.meeting}::int
    WHEN 'call' THEN ${values.call}::int WHEN 'linkedin' THEN ${values.linkedin}::int WHEN 'note' THEN ${values.note}::int
    ELSE 0 END`;
}

/** Recency score of a last-interaction column as of `asOfMs` (core: recencyScore). */
export function recencySql(last: SQL, asOfMs: number): SQL {
  return sql`CASE WHEN ${last} IS NULL THEN 0
    WHEN ${last} > ${atInstant(daysBefore(asOfMs, 7))} THEN 100
    WHEN ${last} > ${atInstant(daysBefore(asOfMs, 30))} THEN 75
    WHEN ${last} > ${atInstant(daysBefore(asOfMs, 90))} THEN 50
    ELSE 25 END`;
}

/** Frequency score of a 90-day count (core: frequencyScore): f = n / 3 > 10 ⇔ n > 30; f ≥ 5 ⇔ n ≥ 15; f ≥ 1 ⇔ n ≥ 3. */
export function frequencySql(count90: SQL): SQL {
  return sql`CASE WHEN ${count90} > 30 THEN 100 WHEN ${count90} >= 15 THEN 75 WHEN ${count90} >= 3 THEN 50 ELSE 25 END`;
}

/** Twice the health (recency + frequency) as of `asOfMs` (core: contactAnalytics). */
export function healthTwiceSql(last: SQL, count90: SQL, asOfMs: number): SQL {
  return sql`(${recencySql(last, asOfMs)} + ${frequencySql(count90)})`;
}

/**
 * For the rest of this transaction, settings for one whole-workspace analytical statement:
 * no JIT (on a 2M-row workspace the planner's cost estimate switches it on, and compiling
 * took ~170 ms of a ~1 s query for no gain), and enough memory for the per-contact hash
 * aggregate to stay in memory instead of spilling to disk in batches (100k groups × 11
 * aggregates).
 */
export async function useAnalyticalSettings(tx: Tx): Promise<void> {
  await tx.execute(sql`SELECT set_config('jit', 'off', true), set_config('work_mem', '32MB', true)`);
}
