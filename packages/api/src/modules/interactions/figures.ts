import { queryRows, type Executor } from "@rapport/db";
import { sql } from "drizzle-orm";

/** What a contact's imported email says about the relationship. */
interface EmailFigures {
  contactId: string;
  totalEmails: number;
  lastEmailAt: Date | null;
  lastSubject: string | null;
  /** Calendar months (UTC) of the window, oldest first, zeros included. */
  emailsPerMonth: { month: string; count: number }[];
}

const DAY_MS = 86_400_000;

/**
 * Per contact: emails of `source` they took part in (as any participant), the latest one's date
 * and subject, and counts per month over the last `windowDays` before `now`. One statement.
 */
export async function emailFigures(
  db: Executor,
  workspaceId: string,
  contactIds: string[],
  source: string,
  now: Date,
  windowDays = 90,
): Promise<EmailFigures[]> {
  if (contactIds.length === 0) return [];
  const since = new Date(now.getTime() - windowDays * DAY_MS);
  const ids = `{${contactIds.join(",")}}`;
  const rows = await queryRows<{
    contact_id: string;
    total: number;
    last_ms: number | null;
    last_subject: string | null;
    months: Record<string, number> | string | null;
  }>(
    db,
    sql`WITH mine AS (
          SELECT p.contact_id, i.occurred_at, i.subject
          FROM interaction_participants p
          JOIN interactions i ON i.id = p.interaction_id
          WHERE p.workspace_id = ${workspaceId}::uuid AND p.contact_id = ANY(${ids}::uuid[])
            AND i.type = 'email' AND i.source = ${source}
        ), totals AS (
          SELECT contact_id, count(*)::int AS total FROM mine GROUP BY contact_id
        ), latest AS (
          SELECT DISTINCT ON (contact_id) contact_id, occurred_at, subject FROM mine ORDER BY contact_id, occurred_at DESC
        ), monthly AS (
          SELECT contact_id, jsonb_object_agg(month, n) AS months
          FROM (SELECT contact_id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*)::int AS n
                FROM mine WHERE occurred_at > ${since.toISOString()}::timestamptz AND occurred_at <= ${now.toISOString()}::timestamptz
                GROUP BY 1, 2) m
          GROUP BY contact_id
        )
        SELECT c.id AS contact_id, coalesce(t.total, 0) AS total,
               (extract(epoch FROM l.occurred_at) * 1000)::float8 AS last_ms, l.subject AS last_subject, mo.months
        FROM unnest(${ids}::uuid[]) AS c(id)
        LEFT JOIN totals t ON t.contact_id = c.id
        LEFT JOIN latest l ON l.contact_id = c.id
        LEFT JOIN monthly mo ON mo.contact_id = c.id`,
  );
  const months = monthsBetween(since, now);
  return rows.map((row) => {
    const counts = (typeof row.months === "string" ? JSON.parse(row.months) : (row.months ?? {})) as Record<
      string,
      number
    >;
    return {
      contactId: row.contact_id,
      totalEmails: Number(row.total),
      lastEmailAt: row.last_ms === null ? null : new Date(Number(row.last_ms)),
      lastSubject: row.last_subject,
      emailsPerMonth: months.map((month) => ({ month, count: counts[month] ?? 0 })),
    };
  });
}

/** "YYYY-MM" of every UTC calendar month touching (from, to]. */
function monthsBetween(from: Date, to: Date): string[] {
  const months: string[] = [];
  let year = from.getUTCFullYear();
  let month = from.getUTCMonth();
  while (year < to.getUTCFullYear() || (year === to.getUTCFullYear() && month <= to.getUTCMonth())) {
    months.push(`${year}-${String(month + 1).padStart(2, "0")}`);
    month++;
    if (month === 12) {
      month = 0;
      year++;
    }
  }
  return months;
}
