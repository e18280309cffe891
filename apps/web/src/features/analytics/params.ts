/**
 * The dashboard's view state lives in the URL (shareable, Back works):
 *   ?asOf=YYYY-MM-DD   figures as of the end of that local day (absent: now)
 *   ?range=30|90|365   the engagement chart's span in days (365 = weekly buckets)
 *   ?sort=clv|interactions|recency|health   the top-contacts order
 * These helpers turn it into the exact tRPC inputs, shared by the route's
 * prefetch (index.ts) and the page, so both hit the same query cache entries.
 */
const SORTS = ["clv", "interactions", "recency", "health"] as const;
export type TopSort = (typeof SORTS)[number];
export const SORT_LABELS: Record<TopSort, string> = {
  clv: "CLV",
  interactions: "interactions",
  recency: "last contact",
  health: "health",
};
export const RANGES = [30, 90, 365] as const;
export type RangeDays = (typeof RANGES)[number];

const TOP_ROWS = 25;

export interface ViewParams {
  /** "YYYY-MM-DD" or null for now. */
  asOfDay: string | null;
  range: RangeDays;
  sort: TopSort;
}

export function viewFromSearch(search: string): ViewParams {
  const params = new URLSearchParams(search);
  const day = params.get("asOf");
  const range = Number(params.get("range"));
  const sort = params.get("sort") as TopSort | null;
  return {
    asOfDay: day && /^\d{4}-\d{2}-\d{2}$/.test(day) && !Number.isNaN(parseDay(day).getTime()) ? day : null,
    range: (RANGES as readonly number[]).includes(range) ? (range as RangeDays) : 30,
    sort: sort && (SORTS as readonly string[]).includes(sort) ? sort : "clv",
  };
}

export function searchOf(view: ViewParams): string {
  const params = new URLSearchParams();
  if (view.asOfDay) params.set("asOf", view.asOfDay);
  if (view.range !== 30) params.set("range", String(view.range));
  if (view.sort !== "clv") params.set("sort", view.sort);
  const text = params.toString();
  return text ? `?${text}` : "";
}

function parseDay(day: string): Date {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(y, m - 1, d);
}

/** "YYYY-MM-DD" of a local date. */
export function dayOf(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The end of the chosen local day (the last millisecond), or undefined for "now". */
export function asOfOf(view: ViewParams): Date | undefined {
  if (!view.asOfDay) return undefined;
  const start = parseDay(view.asOfDay);
  return new Date(start.getFullYear(), start.getMonth(), start.getDate() + 1, 0, 0, 0, -1);
}

function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export function metricsInput(workspaceId: string, view: ViewParams) {
  return { workspaceId, asOf: asOfOf(view), sortBy: "clv" as const, limit: 10 };
}

export function topInput(workspaceId: string, view: ViewParams) {
  return { workspaceId, asOf: asOfOf(view), sortBy: view.sort, limit: TOP_ROWS };
}

/**
 * The engagement chart: whole local days (or weeks) ending with the as-of day.
 * `from` is the start of the first local day, so it only changes once a day
 * (and the server's cache can answer); `to` is the asOf, or omitted for now.
 */
export function timeseriesInput(workspaceId: string, view: ViewParams, now = new Date()) {
  const end = asOfOf(view) ?? now;
  const firstDay = new Date(end.getFullYear(), end.getMonth(), end.getDate() - (view.range - 1));
  const bucket = view.range > 90 ? ("week" as const) : ("day" as const);
  const to = asOfOf(view);
  return {
    workspaceId,
    from: firstDay,
    ...(to ? { to: new Date(to.getTime() + 1) } : {}),
    bucket,
    timeZone: browserTimeZone(),
  };
}
