/**
 * The dashboard's view state lives in the URL (shareable, Back works):
 *   ?asOf=YYYY-MM-DD   figures as of the end of that local day (absent: now)
 *   ?range=30|90|365   the engagement chart's span in days (365 = weekly buckets)
 *   ?sort=clv|interactions|recency|health   the top-contacts order
 * A value that is not one of these is dropped by the route's validateSearch, so the
 * view falls back to its default (now, 30 days, CLV).
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

/** The dashboard's query string, validated by its route: values that are not allowed are dropped. */
export interface AnalyticsSearch {
  asOf?: string;
  range?: RangeDays;
  sort?: TopSort;
}

export function validateAnalyticsSearch(raw: Record<string, unknown>): AnalyticsSearch {
  const day = typeof raw.asOf === "string" ? raw.asOf : "";
  const range = Number(raw.range);
  return {
    // A real calendar day: 2026-02-30 would silently become 2 March.
    asOf: /^\d{4}-\d{2}-\d{2}$/.test(day) && dayOf(parseDay(day)) === day ? day : undefined,
    range: RANGES.find((days) => days === range && days !== 30),
    sort: SORTS.find((sort) => sort === raw.sort && sort !== "clv"),
  };
}

export function viewFromSearch(search: AnalyticsSearch): ViewParams {
  return { asOfDay: search.asOf ?? null, range: search.range ?? 30, sort: search.sort ?? "clv" };
}

/** The query string of a view (defaults left out). */
export function searchOf(view: ViewParams): AnalyticsSearch {
  return {
    asOf: view.asOfDay ?? undefined,
    range: view.range !== 30 ? view.range : undefined,
    sort: view.sort !== "clv" ? view.sort : undefined,
  };
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
