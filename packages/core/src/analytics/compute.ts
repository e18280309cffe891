/**
 * The reference computation of a workspace's analytics from its rows, and the
 * shaping of the figures the API returns.
 *
 * Two ways produce an `AnalyticsSnapshot`:
 *  - `computeAnalyticsSnapshot` here, from plain rows (tests, small data);
 *  - one SQL statement in the API (the real thing, over the whole workspace).
 * Both then go through the same `toMetrics` / `toTopContacts`, so equal
 * snapshots mean equal answers. A snapshot holds only integers, ids, text and
 * epoch milliseconds, so it survives JSON (the cache) unchanged.
 */
import {
  ANALYTICS_DAY_MS,
  centsToDollars,
  clvBucket,
  compareTopContacts,
  daysBetween,
  ENGAGEMENT_WINDOW_DAYS,
  FREQUENCY_WINDOW_DAYS,
  frequencyRate,
  frequencyScore,
  healthBucket,
  healthScore,
  recencyScore,
  TOP_CONTACT_SORTS,
  TREND_DAYS,
  trendDirection,
  type AnalyticsInteractionType,
  type AnalyticsSettings,
  type FrequencyScore,
  type InteractionValues,
  type RecencyScore,
  type TopContactSort,
  type TrendDirection,
} from "./definitions";

// ---------------------------------------------------------------- inputs

export interface AnalyticsContactRow {
  id: string;
  name: string;
  email: string | null;
  company: string | null;
  createdAt: Date | number;
  /** Soft-deleted contacts (and their interactions) are left out everywhere. */
  deletedAt: Date | number | null;
}

/**
 * An interaction belongs to every contact taking part in it: the one it is filed under
 * (`contactId`) and each of `participantContactIds`. It counts once on each of their figures,
 * and once (under `contactId`) in the workspace's interaction totals.
 */
export interface AnalyticsInteractionRow {
  contactId: string;
  /** The other contacts taking part (an email's co-recipients); repeats and `contactId` itself are ignored. */
  participantContactIds?: readonly string[];
  type: AnalyticsInteractionType;
  occurredAt: Date | number;
}

// ---------------------------------------------------------------- per contact

/** One contact's figures as of an instant. */
export interface ContactAnalytics {
  id: string;
  /** Interactions at or before asOf. */
  interactionCount: number;
  clvCents: number;
  /** Epoch ms of the last interaction at or before asOf. */
  lastContactMs: number | null;
  /** Interactions in (asOf − 30 d, asOf]. */
  interactions30d: number;
  /** Interactions in (asOf − 90 d, asOf]. */
  interactions90d: number;
  /** Of `interactionCount`, those filed under this contact (the workspace totals count only these). */
  filedInteractionCount: number;
  /** Of `interactions30d`, those filed under this contact. */
  filedInteractions30d: number;
  recency: RecencyScore;
  frequency: FrequencyScore;
  /** recency + frequency: twice the health, always an integer. */
  healthTwice: number;
}

/** A contact's figures as of `asOfMs` from the interactions it takes part in (later ones are ignored). */
export function contactAnalytics(
  contactId: string,
  interactions: readonly AnalyticsInteractionRow[],
  asOfMs: number,
  values: InteractionValues,
): ContactAnalytics {
  let interactionCount = 0;
  let clvCents = 0;
  let lastContactMs: number | null = null;
  let interactions30d = 0;
  let interactions90d = 0;
  let filedInteractionCount = 0;
  let filedInteractions30d = 0;
  for (const interaction of interactions) {
    const at = ms(interaction.occurredAt);
    if (at > asOfMs) continue;
    const filed = interaction.contactId === contactId;
    interactionCount++;
    if (filed) filedInteractionCount++;
    clvCents += values[interaction.type] ?? 0;
    if (lastContactMs === null || at > lastContactMs) lastContactMs = at;
    const ageDays = (asOfMs - at) / ANALYTICS_DAY_MS;
    if (ageDays < ENGAGEMENT_WINDOW_DAYS) {
      interactions30d++;
      if (filed) filedInteractions30d++;
    }
    if (ageDays < FREQUENCY_WINDOW_DAYS) interactions90d++;
  }
  const recency = recencyScore(daysBetween(lastContactMs, asOfMs));
  const frequency = frequencyScore(frequencyRate(interactions90d));
  return {
    id: contactId,
    interactionCount,
    clvCents,
    lastContactMs,
    interactions30d,
    interactions90d,
    filedInteractionCount,
    filedInteractions30d,
    recency,
    frequency,
    healthTwice: recency + frequency,
  };
}

// ---------------------------------------------------------------- aggregates

/** Integer totals over a set of contacts: everything the averages and distributions are made of. */
export interface PeriodAggregates {
  contacts: number;
  clvCentsTotal: number;
  clvLow: number;
  clvMedium: number;
  clvHigh: number;
  /** Σ (recency + frequency). */
  healthTwiceTotal: number;
  healthy: number;
  atRisk: number;
  inactiveHealth: number;
  interactions30d: number;
  newContacts30d: number;
  contactedContacts: number;
  inactiveContacts: number;
  interactionsTotal: number;
}

export function emptyAggregates(): PeriodAggregates {
  return {
    contacts: 0,
    clvCentsTotal: 0,
    clvLow: 0,
    clvMedium: 0,
    clvHigh: 0,
    healthTwiceTotal: 0,
    healthy: 0,
    atRisk: 0,
    inactiveHealth: 0,
    interactions30d: 0,
    newContacts30d: 0,
    contactedContacts: 0,
    inactiveContacts: 0,
    interactionsTotal: 0,
  };
}

/** Adds one contact (created at `createdAtMs`) to the totals of the period ending at `asOfMs`. */
export function addToAggregates(
  totals: PeriodAggregates,
  stats: ContactAnalytics,
  createdAtMs: number,
  asOfMs: number,
  settings: AnalyticsSettings,
): void {
  totals.contacts++;
  totals.clvCentsTotal += stats.clvCents;
  const bucket = clvBucket(stats.clvCents, settings.thresholdsCents);
  if (bucket === "low") totals.clvLow++;
  else if (bucket === "medium") totals.clvMedium++;
  else totals.clvHigh++;
  totals.healthTwiceTotal += stats.healthTwice;
  const health = healthBucket(healthScore(stats.recency, stats.frequency));
  if (health === "healthy") totals.healthy++;
  else if (health === "at_risk") totals.atRisk++;
  else totals.inactiveHealth++;
  totals.interactions30d += stats.filedInteractions30d;
  const createdAgeDays = (asOfMs - createdAtMs) / ANALYTICS_DAY_MS;
  if (createdAgeDays >= 0 && createdAgeDays < ENGAGEMENT_WINDOW_DAYS) totals.newContacts30d++;
  if (stats.interactions30d > 0) totals.contactedContacts++;
  if (stats.interactions90d === 0) totals.inactiveContacts++;
  totals.interactionsTotal += stats.filedInteractionCount;
}

// ---------------------------------------------------------------- snapshot

/** A top-contacts row as cached (JSON-safe). */
export interface TopContactRow {
  id: string;
  name: string;
  email: string | null;
  company: string | null;
  clvCents: number;
  healthTwice: number;
  recency: RecencyScore;
  frequency: FrequencyScore;
  lastContactMs: number | null;
  interactionCount: number;
}

/** Everything the analytics queries answer from, for one workspace, settings revision and asOf. */
export interface AnalyticsSnapshot {
  asOfMs: number;
  settings: AnalyticsSettings;
  /** Live contacts, interactions at or before asOf. */
  current: PeriodAggregates;
  /** As of asOf − 30 days, with only the data that existed then (contacts created by then). */
  previous: PeriodAggregates;
  /** The first `topLimit` contacts of each order. */
  top: Record<TopContactSort, TopContactRow[]>;
}

/** The most rows any top list returns (analytics.topContacts' limit). */
export const TOP_CONTACTS_MAX = 100;

/**
 * The reference computation: every figure of the workspace as of `asOf`, from
 * all its contacts (deleted ones included; they are left out here) and all
 * their interactions.
 */
export function computeAnalyticsSnapshot(input: {
  contacts: readonly AnalyticsContactRow[];
  interactions: readonly AnalyticsInteractionRow[];
  settings: AnalyticsSettings;
  asOf: Date | number;
  topLimit?: number;
}): AnalyticsSnapshot {
  const asOfMs = ms(input.asOf);
  const previousAsOfMs = asOfMs - TREND_DAYS * ANALYTICS_DAY_MS;
  const topLimit = input.topLimit ?? TOP_CONTACTS_MAX;
  const live = input.contacts.filter((contact) => contact.deletedAt === null);
  const byContact = new Map<string, AnalyticsInteractionRow[]>(live.map((contact) => [contact.id, []]));
  for (const interaction of input.interactions) {
    const takingPart = new Set([interaction.contactId, ...(interaction.participantContactIds ?? [])]);
    for (const contactId of takingPart) byContact.get(contactId)?.push(interaction);
  }

  const current = emptyAggregates();
  const previous = emptyAggregates();
  const ranked: (ContactAnalytics & { contact: AnalyticsContactRow })[] = [];
  for (const contact of live) {
    const own = byContact.get(contact.id)!;
    const createdAtMs = ms(contact.createdAt);
    const now = contactAnalytics(contact.id, own, asOfMs, input.settings.valuesCents);
    addToAggregates(current, now, createdAtMs, asOfMs, input.settings);
    ranked.push({ ...now, contact });
    if (createdAtMs <= previousAsOfMs) {
      addToAggregates(
        previous,
        contactAnalytics(contact.id, own, previousAsOfMs, input.settings.valuesCents),
        createdAtMs,
        previousAsOfMs,
        input.settings,
      );
    }
  }
  const top = {} as Record<TopContactSort, TopContactRow[]>;
  for (const sortBy of TOP_CONTACT_SORTS) {
    top[sortBy] = [...ranked]
      .sort(compareTopContacts(sortBy))
      .slice(0, topLimit)
      .map((stats) => ({
        id: stats.id,
        name: stats.contact.name,
        email: stats.contact.email,
        company: stats.contact.company,
        clvCents: stats.clvCents,
        healthTwice: stats.healthTwice,
        recency: stats.recency,
        frequency: stats.frequency,
        lastContactMs: stats.lastContactMs,
        interactionCount: stats.interactionCount,
      }));
  }
  return { asOfMs, settings: input.settings, current, previous, top };
}

// ---------------------------------------------------------------- API shapes

export interface TopContact {
  id: string;
  name: string;
  email: string | null;
  company: string | null;
  /** Dollars. */
  clv: number;
  /** 0–100. */
  health: number;
  recency: RecencyScore;
  frequency: FrequencyScore;
  lastContactAt: Date | null;
  interactionCount: number;
}

export interface ClvMetrics {
  /** Dollars. */
  total: number;
  /** Dollars per contact (contacts without interactions count, with 0); 0 without contacts. */
  average: number;
  distribution: { low: number; medium: number; high: number };
  top10: TopContact[];
}

export interface HealthMetrics {
  /** 0–100; 0 without contacts. */
  average: number;
  distribution: { healthy: number; at_risk: number; inactive: number };
  trend: {
    direction: TrendDirection;
    /** average now − average as of asOf − 30 days; null when either period has no contacts. */
    delta: number | null;
    previousAverage: number | null;
  };
}

export interface EngagementMetrics {
  interactions30d: number;
  newContacts30d: number;
  contactedContacts: number;
  inactiveContacts: number;
  avgInteractionsPerContact: number;
}

/** The same figures as of asOf − 30 days (the KPI cards' "vs previous 30 days"). */
export interface PreviousPeriod {
  asOf: Date;
  contacts: number;
  averageClv: number;
  averageHealth: number | null;
  interactions30d: number;
  contactedContacts: number;
  newContacts30d: number;
}

export interface AnalyticsValuesInDollars {
  values: Record<AnalyticsInteractionType, number>;
  thresholds: { medium: number; high: number };
}

export interface AnalyticsMetrics {
  asOf: Date;
  contacts: number;
  settings: AnalyticsValuesInDollars;
  clv: ClvMetrics;
  health: HealthMetrics;
  engagement: EngagementMetrics;
  previousPeriod: PreviousPeriod;
  topContacts: TopContact[];
}

const averageOf = (total: number, count: number) => (count === 0 ? 0 : total / count);

export function settingsInDollars(settings: AnalyticsSettings): AnalyticsValuesInDollars {
  const values = {} as Record<AnalyticsInteractionType, number>;
  for (const [type, cents] of Object.entries(settings.valuesCents) as [AnalyticsInteractionType, number][])
    values[type] = centsToDollars(cents);
  return {
    values,
    thresholds: {
      medium: centsToDollars(settings.thresholdsCents.medium),
      high: centsToDollars(settings.thresholdsCents.high),
    },
  };
}

export function toTopContact(row: TopContactRow): TopContact {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    company: row.company,
    clv: centsToDollars(row.clvCents),
    health: row.healthTwice / 2,
    recency: row.recency,
    frequency: row.frequency,
    lastContactAt: row.lastContactMs === null ? null : new Date(row.lastContactMs),
    interactionCount: row.interactionCount,
  };
}

export function toTopContacts(snapshot: AnalyticsSnapshot, sortBy: TopContactSort, limit: number): TopContact[] {
  return snapshot.top[sortBy].slice(0, limit).map(toTopContact);
}

export function toClvMetrics(snapshot: AnalyticsSnapshot): ClvMetrics {
  const { current } = snapshot;
  return {
    total: centsToDollars(current.clvCentsTotal),
    average: centsToDollars(averageOf(current.clvCentsTotal, current.contacts)),
    distribution: { low: current.clvLow, medium: current.clvMedium, high: current.clvHigh },
    top10: toTopContacts(snapshot, "clv", 10),
  };
}

export function toHealthMetrics(snapshot: AnalyticsSnapshot): HealthMetrics {
  const { current, previous } = snapshot;
  const average = averageOf(current.healthTwiceTotal, current.contacts) / 2;
  const previousAverage = previous.contacts === 0 ? null : previous.healthTwiceTotal / previous.contacts / 2;
  const delta = current.contacts === 0 || previousAverage === null ? null : average - previousAverage;
  return {
    average,
    distribution: { healthy: current.healthy, at_risk: current.atRisk, inactive: current.inactiveHealth },
    trend: { direction: trendDirection(delta), delta, previousAverage },
  };
}

export function toEngagementMetrics(snapshot: AnalyticsSnapshot): EngagementMetrics {
  const { current } = snapshot;
  return {
    interactions30d: current.interactions30d,
    newContacts30d: current.newContacts30d,
    contactedContacts: current.contactedContacts,
    inactiveContacts: current.inactiveContacts,
    avgInteractionsPerContact: averageOf(current.interactionsTotal, current.contacts),
  };
}

export function toPreviousPeriod(snapshot: AnalyticsSnapshot): PreviousPeriod {
  const { previous } = snapshot;
  return {
    asOf: new Date(snapshot.asOfMs - TREND_DAYS * ANALYTICS_DAY_MS),
    contacts: previous.contacts,
    averageClv: centsToDollars(averageOf(previous.clvCentsTotal, previous.contacts)),
    averageHealth: previous.contacts === 0 ? null : previous.healthTwiceTotal / previous.contacts / 2,
    interactions30d: previous.interactions30d,
    contactedContacts: previous.contactedContacts,
    newContacts30d: previous.newContacts30d,
  };
}

/** analytics.metrics: everything in one answer. */
export function toMetrics(
  snapshot: AnalyticsSnapshot,
  top: { sortBy: TopContactSort; limit: number },
): AnalyticsMetrics {
  return {
    asOf: new Date(snapshot.asOfMs),
    contacts: snapshot.current.contacts,
    settings: settingsInDollars(snapshot.settings),
    clv: toClvMetrics(snapshot),
    health: toHealthMetrics(snapshot),
    engagement: toEngagementMetrics(snapshot),
    previousPeriod: toPreviousPeriod(snapshot),
    topContacts: toTopContacts(snapshot, top.sortBy, top.limit),
  };
}

function ms(value: Date | number): number {
  return typeof value === "number" ? value : value.getTime();
}
