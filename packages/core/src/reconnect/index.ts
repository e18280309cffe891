import { contactAnalytics, type AnalyticsInteractionRow } from "../analytics/compute";
import {
  ANALYTICS_DAY_MS as DAY,
  healthBucket,
  type HealthBucket,
  type InteractionValues,
} from "../analytics/definitions";

/**
 * Reconnect: which relationships are going cold, judged against each relationship's own rhythm.
 *
 * A contact's cadence is the median gap, in days, between the UTC days on which it was touched
 * over the last year. Counting days rather than interactions keeps an email thread or a day of
 * meetings from making the relationship look like a daily one, and SQL computes the same in one
 * ordered pass (lag, percentile_cont). The median ignores the odd long holiday.
 */

export const CADENCE_WINDOW_DAYS = 365;
/** Fewer touches than this in the window: no rhythm to learn, no learned cadence. */
export const MIN_TOUCHES_FOR_CADENCE = 3;
/** No learned cadence is shorter than a week: a colleague seen daily is not cold after a weekend. */
export const MIN_CADENCE_DAYS = 7;
/** Going cold: the time since the last touch exceeds the cadence by this factor. */
export const DEFAULT_COLD_FACTOR = 1.5;
/** "Was healthy or at risk this long ago": a relationship already inactive then is not going cold now. */
export const HEALTH_LOOKBACK_DAYS = 30;

export const KEEP_IN_TOUCH_PRESETS = { week: 7, month: 30, quarter: 91 } as const;
export type KeepInTouchPreset = keyof typeof KEEP_IN_TOUCH_PRESETS;
export const KEEP_IN_TOUCH_MAX_DAYS = 730;

/** The UTC days (days since the epoch) with an interaction at or before asOf in the window, oldest first. */
export function touchDays(occurredAtMs: readonly number[], asOfMs: number): number[] {
  const from = asOfMs - CADENCE_WINDOW_DAYS * DAY;
  const days = new Set<number>();
  for (const at of occurredAtMs) if (at <= asOfMs && at > from) days.add(Math.floor(at / DAY));
  return [...days].sort((a, b) => a - b);
}

/** The learned cadence in days, or null when fewer than three days in the last year had a touch. */
export function cadenceDays(occurredAtMs: readonly number[], asOfMs: number): number | null {
  const days = touchDays(occurredAtMs, asOfMs);
  if (days.length < MIN_TOUCHES_FOR_CADENCE) return null;
  const gaps: number[] = [];
  for (let i = 1; i < days.length; i++) gaps.push(days[i]! - days[i - 1]!);
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  const median = gaps.length % 2 === 1 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
  return Math.max(median, MIN_CADENCE_DAYS);
}

export interface ReconnectInput {
  contactId: string;
  /**
   * Interactions to judge from; only those the contact takes part in count — filed under it
   * (`contactId`) or with it among `participantContactIds`, as in its analytics figures — so
   * a contact cc'd on emails has a rhythm like one they are filed under.
   */
  interactions: readonly AnalyticsInteractionRow[];
  /** A keep-in-touch frequency the user chose (days); it overrides the learned cadence. */
  keepInTouchDays: number | null;
  /** Snoozed: not suggested before this instant. */
  snoozedUntilMs: number | null;
  /** "Done": the clock restarts here, as if the contact had been touched, until the next interaction. */
  doneAtMs: number | null;
  /** Restricted contacts are never suggested (their processing is stopped). */
  restricted: boolean;
}

export interface ReconnectSettings {
  values: InteractionValues;
  coldFactor: number;
}

export interface ReconnectCandidate {
  contactId: string;
  cadenceDays: number;
  /** Whether the cadence was learned from history or chosen by the user. */
  cadenceSource: "learned" | "chosen";
  /** Days since the last interaction (null: never contacted). */
  daysSinceContact: number | null;
  /** Days since the clock restarted: the last interaction or a later "done". */
  daysSinceClock: number;
  /** daysSinceClock ÷ cadence: 1.5 means half a cadence late. */
  overdueRatio: number;
  clvCents: number;
  /** Health bucket HEALTH_LOOKBACK_DAYS before asOf (null when a chosen cadence made it irrelevant). */
  healthThen: HealthBucket | null;
  /** CLV × overdue ratio (CLV floored at one cent so contacts without values still rank by lateness). */
  score: number;
}

/**
 * The contact's entry on the Reconnect list as of `asOfMs`, or null when it is not going cold.
 *
 * Learned cadence: cold when the time since the last touch exceeds cadence × coldFactor and the
 * relationship was healthy or at risk a month ago. A chosen keep-in-touch frequency is the user's
 * explicit wish, so it applies as soon as it is exceeded (factor 1) whatever the health was.
 */
export function reconnectCandidate(
  input: ReconnectInput,
  asOfMs: number,
  settings: ReconnectSettings,
): ReconnectCandidate | null {
  if (input.restricted) return null;
  if (input.snoozedUntilMs !== null && input.snoozedUntilMs > asOfMs) return null;
  const interactions = input.interactions.filter(
    (i) => i.contactId === input.contactId || (i.participantContactIds ?? []).includes(input.contactId),
  );
  const times = interactions.map((i) => +i.occurredAt).filter((at) => at <= asOfMs);
  const lastContactMs = times.length === 0 ? null : Math.max(...times);
  const clockMs = Math.max(lastContactMs ?? Number.NEGATIVE_INFINITY, input.doneAtMs ?? Number.NEGATIVE_INFINITY);
  if (!Number.isFinite(clockMs)) return null; // never contacted and never marked done: nothing to measure from
  const daysSinceClock = (asOfMs - clockMs) / DAY;
  const now = contactAnalytics(input.contactId, interactions, asOfMs, settings.values);

  let cadence: number;
  let cadenceSource: ReconnectCandidate["cadenceSource"];
  let healthThen: HealthBucket | null = null;
  if (input.keepInTouchDays !== null) {
    cadence = input.keepInTouchDays;
    cadenceSource = "chosen";
    if (daysSinceClock <= cadence) return null;
  } else {
    const learned = cadenceDays(times, asOfMs);
    if (learned === null) return null;
    cadence = learned;
    cadenceSource = "learned";
    if (daysSinceClock <= cadence * settings.coldFactor) return null;
    const then = contactAnalytics(input.contactId, interactions, asOfMs - HEALTH_LOOKBACK_DAYS * DAY, settings.values);
    healthThen = healthBucket(then.healthTwice / 2);
    if (healthThen === "inactive") return null;
  }
  const overdueRatio = daysSinceClock / cadence;
  return {
    contactId: input.contactId,
    cadenceDays: cadence,
    cadenceSource,
    daysSinceContact: lastContactMs === null ? null : (asOfMs - lastContactMs) / DAY,
    daysSinceClock,
    overdueRatio,
    clvCents: now.clvCents,
    healthThen,
    score: Math.max(now.clvCents, 1) * overdueRatio,
  };
}

/** Highest score first; ties by lateness, then id, so the order is total and stable across drivers. */
export function compareReconnect(a: ReconnectCandidate, b: ReconnectCandidate): number {
  return (
    b.score - a.score ||
    b.overdueRatio - a.overdueRatio ||
    (a.contactId < b.contactId ? -1 : a.contactId > b.contactId ? 1 : 0)
  );
}

function days(n: number): string {
  const rounded = Math.round(n);
  return rounded === 1 ? "1 day" : `${rounded} days`;
}

function every(cadence: number): string {
  for (const [preset, length] of Object.entries(KEEP_IN_TOUCH_PRESETS)) {
    if (cadence === length) return `every ${preset}`;
  }
  return `every ${days(cadence)}`;
}

/**
 * Why the contact is on the list, in words, e.g. "usually every 12 days, last contact 31 days ago;
 * was healthy a month ago". Never names the contact: the caller shows the name next to it.
 */
export function describeReconnect(candidate: ReconnectCandidate): string {
  const rhythm =
    candidate.cadenceSource === "chosen"
      ? `you keep in touch ${every(candidate.cadenceDays)}`
      : `usually ${every(candidate.cadenceDays)}`;
  const since =
    candidate.daysSinceContact === null
      ? "no contact logged yet"
      : `last contact ${days(candidate.daysSinceContact)} ago`;
  const done =
    candidate.daysSinceContact === null || candidate.daysSinceClock < candidate.daysSinceContact
      ? `, marked done ${days(candidate.daysSinceClock)} ago`
      : "";
  const health =
    candidate.healthThen === null
      ? ""
      : `; was ${candidate.healthThen === "healthy" ? "healthy" : "at risk"} a month ago`;
  return `${rhythm}, ${since}${done}${health}`;
}
