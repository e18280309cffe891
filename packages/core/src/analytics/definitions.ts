/**
 * Analytics definitions: the one place that says what each number means.
 * Pure functions, no I/O. The API computes the same figures in SQL
 * (packages/api/src/modules/analytics/queries.ts); a property test asserts that
 * both agree on random workspaces (apps/server/test/analytics-property.test.ts).
 *
 * Conventions (README "Analytics"):
 * - Everything is "as of" an instant `asOf`; elapsed time is in real days
 *   (milliseconds / 86,400,000, so a DST change does not make a day 23 hours).
 * - Money is kept in integer cents so sums are exact; the API reports dollars.
 * - Intervals are half-open as written: "the 30 days up to asOf" is
 *   (asOf − 30 d, asOf].
 */

/** Milliseconds in a real day (hours / 24). */
export const ANALYTICS_DAY_MS = 86_400_000;

export const ANALYTICS_INTERACTION_TYPES = ["email", "meeting", "call", "linkedin", "note"] as const;
export type AnalyticsInteractionType = (typeof ANALYTICS_INTERACTION_TYPES)[number];

/** Value of one interaction of each type, in cents. */
export type InteractionValues = Record<AnalyticsInteractionType, number>;

export interface ClvThresholds {
  /** low < medium ≤ CLV (cents). */
  medium: number;
  /** medium < high ≤ CLV (cents). */
  high: number;
}

export interface AnalyticsSettings {
  valuesCents: InteractionValues;
  thresholdsCents: ClvThresholds;
}

/** Defaults: email $10, meeting $50, call $25, linkedin $5, note $0; low < $100 ≤ medium < $500 ≤ high. */
export const DEFAULT_ANALYTICS_SETTINGS: AnalyticsSettings = Object.freeze({
  valuesCents: Object.freeze({ email: 1_000, meeting: 5_000, call: 2_500, linkedin: 500, note: 0 }),
  thresholdsCents: Object.freeze({ medium: 10_000, high: 50_000 }),
}) as AnalyticsSettings;

// ---------------------------------------------------------------- recency

export type RecencyScore = 0 | 25 | 50 | 75 | 100;

/** Real days from `last` to `asOf` (null when there is no last interaction). */
export function daysBetween(last: Date | number | null, asOf: Date | number): number | null {
  if (last === null) return null;
  return (toMs(asOf) - toMs(last)) / ANALYTICS_DAY_MS;
}

/**
 * d = days since the last interaction at or before asOf.
 * d < 7 → 100; 7 ≤ d < 30 → 75; 30 ≤ d < 90 → 50; d ≥ 90 → 25; never contacted (null) → 0.
 */
export function recencyScore(daysSinceLast: number | null): RecencyScore {
  if (daysSinceLast === null) return 0;
  if (daysSinceLast < 7) return 100;
  if (daysSinceLast < 30) return 75;
  if (daysSinceLast < 90) return 50;
  return 25;
}

// ---------------------------------------------------------------- frequency

export type FrequencyScore = 25 | 50 | 75 | 100;

/** The frequency window: interactions in the 90 days up to asOf, per month (÷ 3). */
export const FREQUENCY_WINDOW_DAYS = 90;

/** f = interactions in (asOf − 90 d, asOf] ÷ 3, i.e. interactions per month. */
export function frequencyRate(interactionsIn90Days: number): number {
  return interactionsIn90Days / 3;
}

/** f > 10 → 100; 5 ≤ f ≤ 10 → 75; 1 ≤ f < 5 → 50; f < 1 → 25. */
export function frequencyScore(rate: number): FrequencyScore {
  if (rate > 10) return 100;
  if (rate >= 5) return 75;
  if (rate >= 1) return 50;
  return 25;
}

// ---------------------------------------------------------------- health

/** Health = (recency + frequency) ÷ 2, so one of 12.5, 25, 37.5, …, 100. */
export function healthScore(recency: number, frequency: number): number {
  return (recency + frequency) / 2;
}

export type HealthBucket = "healthy" | "at_risk" | "inactive";

/** healthy ≥ 70; 40 ≤ at_risk < 70; inactive < 40. */
export function healthBucket(health: number): HealthBucket {
  if (health >= 70) return "healthy";
  if (health >= 40) return "at_risk";
  return "inactive";
}

export type TrendDirection = "improving" | "declining" | "stable";

/** delta > +2 → improving; delta < −2 → declining; otherwise (or unknown) stable. */
export function trendDirection(delta: number | null): TrendDirection {
  if (delta === null) return "stable";
  if (delta > 2) return "improving";
  if (delta < -2) return "declining";
  return "stable";
}

/** How far back the trend compares: average health as of asOf − 30 days. */
export const TREND_DAYS = 30;

// ---------------------------------------------------------------- CLV

export type ClvBucket = "low" | "medium" | "high";

/** low < medium threshold ≤ medium < high threshold ≤ high (all in cents). */
export function clvBucket(cents: number, thresholds: ClvThresholds): ClvBucket {
  if (cents < thresholds.medium) return "low";
  if (cents < thresholds.high) return "medium";
  return "high";
}

/** Σ of the values of the interactions' types, in cents. */
export function clvCents(types: Iterable<AnalyticsInteractionType>, values: InteractionValues): number {
  let total = 0;
  for (const type of types) total += values[type] ?? 0;
  return total;
}

export function centsToDollars(cents: number): number {
  return cents / 100;
}

export function dollarsToCents(dollars: number): number {
  return Math.round(dollars * 100);
}

// ---------------------------------------------------------------- engagement

/** The engagement window: (asOf − 30 d, asOf]. */
export const ENGAGEMENT_WINDOW_DAYS = 30;

// ---------------------------------------------------------------- top contacts

export const TOP_CONTACT_SORTS = ["clv", "interactions", "recency", "health"] as const;
export type TopContactSort = (typeof TOP_CONTACT_SORTS)[number];

/** The fields the top-contacts orders look at. */
export interface RankedContact {
  id: string;
  clvCents: number;
  interactionCount: number;
  /** Epoch ms of the last interaction at or before asOf, null if never contacted. */
  lastContactMs: number | null;
  /** recency + frequency (twice the health, an integer). */
  healthTwice: number;
}

/**
 * The order of each sort, best first; ties broken by contact id (ascending,
 * lower-case UUID text, which is also PostgreSQL's uuid order).
 * clv, interactions, health: descending; recency: most recently contacted first,
 * never-contacted last.
 */
export function compareTopContacts(sortBy: TopContactSort): (a: RankedContact, b: RankedContact) => number {
  const byId = (a: RankedContact, b: RankedContact) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  switch (sortBy) {
    case "clv":
      return (a, b) => b.clvCents - a.clvCents || byId(a, b);
    case "interactions":
      return (a, b) => b.interactionCount - a.interactionCount || byId(a, b);
    case "health":
      return (a, b) => b.healthTwice - a.healthTwice || byId(a, b);
    case "recency":
      return (a, b) => {
        if (a.lastContactMs === b.lastContactMs) return byId(a, b);
        if (a.lastContactMs === null) return 1;
        if (b.lastContactMs === null) return -1;
        return b.lastContactMs - a.lastContactMs;
      };
  }
}

// ---------------------------------------------------------------- asOf

/**
 * The asOf used when the caller asks for "now": the end of the current minute
 * (now rounded up to a whole minute). Cached results are keyed by it, so every
 * request in the same minute shares one computation, and an interaction logged
 * "just now" is already inside the window.
 */
export function defaultAsOf(now: Date | number): Date {
  const ms = toMs(now);
  return new Date(Math.ceil(ms / 60_000) * 60_000);
}

function toMs(value: Date | number): number {
  return typeof value === "number" ? value : value.getTime();
}
