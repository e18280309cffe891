import { describe, expect, it } from "vitest";
import {
  ANALYTICS_DAY_MS as DAY,
  clvBucket,
  compareTopContacts,
  computeAnalyticsSnapshot,
  contactAnalytics,
  daysBetween,
  DEFAULT_ANALYTICS_SETTINGS,
  defaultAsOf,
  frequencyRate,
  frequencyScore,
  healthBucket,
  healthScore,
  recencyScore,
  toMetrics,
  trendDirection,
  type AnalyticsContactRow,
  type AnalyticsInteractionRow,
  type AnalyticsInteractionType,
  type RankedContact,
} from "../src/analytics/index";

const VALUES = DEFAULT_ANALYTICS_SETTINGS.valuesCents;
const A = Date.UTC(2026, 5, 30, 12); // asOf of the fixtures: 2026-06-30T12:00:00Z

describe("recency score: d = real days since the last interaction at or before asOf", () => {
  it.each([
    [null, 0],
    [0, 100],
    [6.99, 100],
    [7 - 1 / DAY, 100], // one millisecond short of 7 days
    [7.0, 75],
    [29.99, 75],
    [30, 50],
    [89.99, 50],
    [90, 25],
    [400, 25],
  ])("d = %s → %s", (days, score) => {
    expect(recencyScore(days)).toBe(score);
  });

  it("counts real days (hours / 24), so a DST change does not shift a boundary", () => {
    // Europe switched to summer time on 2026-03-29: 7 calendar days in Berlin are 167 hours.
    const last = Date.UTC(2026, 2, 22, 12);
    const asOf = Date.UTC(2026, 2, 29, 11); // 7 Berlin calendar days later, 6 days 23 hours in real time
    expect(daysBetween(last, asOf)).toBeCloseTo(6 + 23 / 24, 12);
    expect(recencyScore(daysBetween(last, asOf))).toBe(100);
    expect(recencyScore(daysBetween(last, asOf + 3_600_000))).toBe(75);
  });

  it("daysBetween is exact at the millisecond boundaries", () => {
    expect(recencyScore(daysBetween(A - 7 * DAY + 1, A))).toBe(100);
    expect(recencyScore(daysBetween(A - 7 * DAY, A))).toBe(75);
    expect(recencyScore(daysBetween(A - 30 * DAY + 1, A))).toBe(75);
    expect(recencyScore(daysBetween(A - 30 * DAY, A))).toBe(50);
    expect(recencyScore(daysBetween(A - 90 * DAY + 1, A))).toBe(50);
    expect(recencyScore(daysBetween(A - 90 * DAY, A))).toBe(25);
    expect(daysBetween(null, A)).toBeNull();
  });
});

describe("frequency score: f = interactions in the 90 days up to asOf ÷ 3", () => {
  it.each([
    [0, 25],
    [0.99, 25],
    [1, 50],
    [4.99, 50],
    [5, 75],
    [7.5, 75],
    [10, 75],
    [10.01, 100],
    [50, 100],
  ])("f = %s → %s", (rate, score) => {
    expect(frequencyScore(rate)).toBe(score);
  });

  it.each([
    [0, 25],
    [2, 25],
    [3, 50], // f = 1
    [14, 50],
    [15, 75], // f = 5
    [30, 75], // f = 10
    [31, 100], // f = 10.33
  ])("%s interactions in 90 days → %s", (count, score) => {
    expect(frequencyScore(frequencyRate(count))).toBe(score);
  });
});

describe("health, trend and CLV buckets", () => {
  it("health = (recency + frequency) / 2", () => {
    expect(healthScore(100, 100)).toBe(100);
    expect(healthScore(75, 25)).toBe(50);
    expect(healthScore(0, 25)).toBe(12.5);
  });

  it.each([
    [100, "healthy"],
    [70, "healthy"],
    [69.99, "at_risk"],
    [62.5, "at_risk"],
    [40, "at_risk"],
    [39.99, "inactive"],
    [12.5, "inactive"],
  ])("health %s → %s", (health, bucket) => {
    expect(healthBucket(health)).toBe(bucket);
  });

  it.each([
    [null, "stable"],
    [0, "stable"],
    [2, "stable"],
    [2.01, "improving"],
    [-2, "stable"],
    [-2.01, "declining"],
  ])("trend delta %s → %s", (delta, direction) => {
    expect(trendDirection(delta)).toBe(direction);
  });

  it.each([
    [0, "low"],
    [9_999, "low"],
    [10_000, "medium"], // $100.00
    [49_999, "medium"],
    [50_000, "high"], // $500.00
  ])("CLV %s cents → %s (default thresholds)", (cents, bucket) => {
    expect(clvBucket(cents, DEFAULT_ANALYTICS_SETTINGS.thresholdsCents)).toBe(bucket);
  });

  it("custom thresholds", () => {
    expect(clvBucket(2_000, { medium: 2_000, high: 3_000 })).toBe("medium");
    expect(clvBucket(1_999, { medium: 2_000, high: 3_000 })).toBe("low");
    expect(clvBucket(3_000, { medium: 2_000, high: 3_000 })).toBe("high");
  });
});

describe("windows are half-open: (asOf − n days, asOf]", () => {
  const at = (ms: number, type: AnalyticsInteractionType = "email"): AnalyticsInteractionRow => ({
    contactId: "c",
    type,
    occurredAt: ms,
  });

  it("an interaction exactly 30 (90) days before asOf is outside the 30 (90)-day window; one ms later is inside", () => {
    const stats = contactAnalytics(
      "c",
      [at(A - 30 * DAY), at(A - 30 * DAY + 1), at(A - 90 * DAY), at(A - 90 * DAY + 1), at(A)],
      A,
      VALUES,
    );
    expect(stats.interactions30d).toBe(2); // A − 30 d + 1 ms and A itself
    expect(stats.interactions90d).toBe(4); // all but A − 90 d
    expect(stats.interactionCount).toBe(5);
    expect(stats.lastContactMs).toBe(A);
  });

  it("interactions after asOf do not exist yet", () => {
    const stats = contactAnalytics("c", [at(A + 1, "meeting"), at(A - DAY, "call")], A, VALUES);
    expect(stats).toMatchObject({
      interactionCount: 1,
      clvCents: 2_500,
      lastContactMs: A - DAY,
      recency: 100,
      frequency: 25,
      healthTwice: 125,
    });
  });

  it("the default asOf is the end of the current minute", () => {
    expect(defaultAsOf(new Date("2026-06-30T10:42:30.500Z")).toISOString()).toBe("2026-06-30T10:43:00.000Z");
    expect(defaultAsOf(new Date("2026-06-30T10:43:00.000Z")).toISOString()).toBe("2026-06-30T10:43:00.000Z");
    expect(defaultAsOf(new Date("2026-06-30T10:43:00.001Z")).toISOString()).toBe("2026-06-30T10:44:00.000Z");
  });
});

describe("top-contact orders", () => {
  const row = (
    id: string,
    clvCents: number,
    interactionCount: number,
    lastContactMs: number | null,
    healthTwice: number,
  ): RankedContact => ({ id, clvCents, interactionCount, lastContactMs, healthTwice });
  const rows = [
    row("b", 100, 1, 5, 50),
    row("a", 100, 2, null, 50),
    row("c", 300, 1, 5, 125),
    row("d", 0, 0, null, 25),
  ];
  const order = (sortBy: Parameters<typeof compareTopContacts>[0]) =>
    [...rows].sort(compareTopContacts(sortBy)).map((r) => r.id);

  it("breaks ties by contact id", () => {
    expect(order("clv")).toEqual(["c", "a", "b", "d"]);
    expect(order("interactions")).toEqual(["a", "b", "c", "d"]);
    expect(order("health")).toEqual(["c", "a", "b", "d"]);
  });
  it("recency: most recently contacted first, never contacted last", () => {
    expect(order("recency")).toEqual(["b", "c", "a", "d"]);
  });
});

describe("a hand-computed workspace", () => {
  // Ids sort by their letter.
  const id = (letter: string) => `00000000-0000-4000-8000-0000000000${letter.charCodeAt(0).toString(16)}`;
  const contact = (letter: string, createdDaysAgo: number, deleted = false): AnalyticsContactRow => ({
    id: id(letter),
    name: `Person ${letter.toUpperCase()}`,
    email: `${letter}@example.com`,
    company: "Acme",
    createdAt: A - createdDaysAgo * DAY,
    deletedAt: deleted ? A - DAY : null,
  });
  const interactions: AnalyticsInteractionRow[] = [];
  const add = (letter: string, type: AnalyticsInteractionType, ...daysAgo: number[]) => {
    for (const days of daysAgo) interactions.push({ contactId: id(letter), type, occurredAt: A - days * DAY });
  };
  // a: 31 emails every 2 days (2…62 days ago): 31 in 90 d (f = 10.33 → 100), last 2 d ago (→ 100). CLV $310.
  add("a", "email", ...Array.from({ length: 31 }, (_, k) => 2 * (k + 1)));
  // b: meetings exactly 7, 40 and 100 days ago: d = 7.0 (→ 75), 2 in 90 d (f = 0.67 → 25). CLV $150.
  add("b", "meeting", 7, 40, 100);
  // c: new (10 days old), never contacted: recency 0, frequency 25. CLV $0.
  // d and g: one call 95 days ago each (→ 25 / 25), plus a note tomorrow for d (not yet). CLV $25; they tie everywhere.
  add("d", "call", 95);
  add("d", "note", -1);
  add("g", "call", 95);
  // e: deleted; its interactions count nowhere.
  add("e", "meeting", 1, 2, 3, 4, 5);
  // f: 15 LinkedIn messages 0.5…14.5 days ago (f = 5 → 75, d = 0.5 → 100) and 10 meetings 200…209 days ago. CLV $75 + $500.
  add("f", "linkedin", ...Array.from({ length: 15 }, (_, k) => k + 0.5));
  add("f", "meeting", ...Array.from({ length: 10 }, (_, k) => 200 + k));
  const contacts = [
    contact("a", 200),
    contact("b", 200),
    contact("c", 10),
    contact("d", 300),
    contact("e", 50, true),
    contact("f", 400),
    contact("g", 300),
  ];

  const snapshot = computeAnalyticsSnapshot({ contacts, interactions, settings: DEFAULT_ANALYTICS_SETTINGS, asOf: A });
  const metrics = toMetrics(snapshot, { sortBy: "clv", limit: 10 });

  it("CLV: total, average over every live contact, distribution, top 10", () => {
    expect(metrics.contacts).toBe(6);
    expect(metrics.clv.total).toBe(1_085); // 310 + 150 + 0 + 25 + 575 + 25
    expect(metrics.clv.average).toBeCloseTo(1_085 / 6, 10);
    expect(metrics.clv.distribution).toEqual({ low: 3, medium: 2, high: 1 }); // c, d, g | a, b | f
    expect(metrics.clv.top10.map((c) => [c.name, c.clv])).toEqual([
      ["Person F", 575],
      ["Person A", 310],
      ["Person B", 150],
      ["Person D", 25],
      ["Person G", 25],
      ["Person C", 0],
    ]);
  });

  it("health: average, distribution and the trend against 30 days ago (contacts that existed then)", () => {
    // health: a 100, b 50, c 12.5, d 25, f 87.5, g 25 → 300 / 6 = 50
    expect(metrics.health.average).toBe(50);
    expect(metrics.health.distribution).toEqual({ healthy: 2, at_risk: 1, inactive: 3 });
    // 30 days ago (c did not exist): a 17 emails, last 0 d, f = 5.67 → (100 + 75) / 2 = 87.5;
    // b last 10 d, 2 in 90 d → 50; d, g last 65 d, 1 in 90 d → 37.5 each; f last 170 d, none → 25.
    // (87.5 + 50 + 37.5 + 37.5 + 25) / 5 = 47.5 → delta +2.5 → improving.
    expect(metrics.health.trend).toEqual({ direction: "improving", delta: 2.5, previousAverage: 47.5 });
  });

  it("engagement", () => {
    expect(metrics.engagement).toEqual({
      interactions30d: 30, // a 14 (2…28 d), b 1 (7 d), f 15
      newContacts30d: 1, // c
      contactedContacts: 3, // a, b, f
      inactiveContacts: 3, // c, d, g: nothing in 90 days
      avgInteractionsPerContact: 61 / 6, // 31 + 3 + 0 + 1 + 25 + 1 (d's future note is not counted)
    });
  });

  it("the previous period (KPI changes)", () => {
    expect(metrics.previousPeriod).toEqual({
      asOf: new Date(A - 30 * DAY),
      contacts: 5,
      averageClv: 164, // (170 + 100 + 25 + 500 + 25) / 5
      averageHealth: 47.5,
      interactions30d: 16, // a 15 (0…28 d before then), b 1 (10 d)
      contactedContacts: 2,
      newContacts30d: 0,
    });
  });

  it("top contacts in each order", () => {
    const names = (sortBy: "clv" | "interactions" | "recency" | "health") =>
      toMetrics(snapshot, { sortBy, limit: 100 }).topContacts.map((c) => c.name.slice(-1));
    expect(names("interactions")).toEqual(["A", "F", "B", "D", "G", "C"]);
    expect(names("recency")).toEqual(["F", "A", "B", "D", "G", "C"]);
    expect(names("health")).toEqual(["A", "F", "B", "D", "G", "C"]);
    const f = metrics.topContacts[0]!;
    expect(f).toEqual({
      id: id("f"),
      name: "Person F",
      email: "f@example.com",
      company: "Acme",
      clv: 575,
      health: 87.5,
      recency: 100,
      frequency: 75,
      lastContactAt: new Date(A - 0.5 * DAY),
      interactionCount: 25,
    });
    expect(toMetrics(snapshot, { sortBy: "clv", limit: 2 }).topContacts).toHaveLength(2);
  });

  it("per-workspace values and thresholds change CLV", () => {
    const settings = { valuesCents: { ...VALUES, note: 100_000 }, thresholdsCents: { medium: 2_500, high: 100_000 } };
    const custom = toMetrics(computeAnalyticsSnapshot({ contacts, interactions, settings, asOf: A + 2 * DAY }), {
      sortBy: "clv",
      limit: 1,
    });
    // d's note now exists (asOf moved 2 days) and is worth $1,000.
    expect(custom.topContacts[0]).toMatchObject({ name: "Person D", clv: 1_025 });
    expect(custom.clv.distribution).toEqual({ low: 1, medium: 4, high: 1 }); // c | a, b, f, g | d
    expect(custom.settings).toEqual({
      values: { email: 10, meeting: 50, call: 25, linkedin: 5, note: 1_000 },
      thresholds: { medium: 25, high: 1_000 },
    });
  });

  it("an empty workspace", () => {
    const empty = toMetrics(
      computeAnalyticsSnapshot({ contacts: [], interactions: [], settings: DEFAULT_ANALYTICS_SETTINGS, asOf: A }),
      { sortBy: "clv", limit: 10 },
    );
    expect(empty.clv).toEqual({ total: 0, average: 0, distribution: { low: 0, medium: 0, high: 0 }, top10: [] });
    expect(empty.health).toEqual({
      average: 0,
      distribution: { healthy: 0, at_risk: 0, inactive: 0 },
      trend: { direction: "stable", delta: null, previousAverage: null },
    });
    expect(empty.engagement.avgInteractionsPerContact).toBe(0);
  });
});

describe("an interaction with several contacts", () => {
  const contact = (id: string): AnalyticsContactRow => ({
    id,
    name: `Person ${id}`,
    email: null,
    company: null,
    createdAt: A - 100 * DAY,
    deletedAt: null,
  });
  // One email filed under p, sent to q and r too (q listed twice, p listed again), plus a call with q alone.
  const interactions: AnalyticsInteractionRow[] = [
    { contactId: "p", participantContactIds: ["q", "r", "q", "p"], type: "email", occurredAt: A - DAY },
    { contactId: "q", type: "call", occurredAt: A - 2 * DAY },
  ];
  const snapshot = computeAnalyticsSnapshot({
    contacts: [contact("p"), contact("q"), contact("r"), contact("s")],
    interactions,
    settings: DEFAULT_ANALYTICS_SETTINGS,
    asOf: A,
  });
  const byId = new Map(snapshot.top.interactions.map((row) => [row.id, row]));

  it("counts once on each participant's figures", () => {
    expect(byId.get("p")).toMatchObject({ interactionCount: 1, clvCents: 1_000, lastContactMs: A - DAY });
    expect(byId.get("q")).toMatchObject({ interactionCount: 2, clvCents: 3_500, lastContactMs: A - DAY });
    expect(byId.get("r")).toMatchObject({ interactionCount: 1, clvCents: 1_000, recency: 100 });
    expect(byId.get("s")).toMatchObject({ interactionCount: 0, recency: 0 });
  });

  it("counts once in the workspace's interaction totals", () => {
    expect(snapshot.current.interactions30d).toBe(2);
    expect(snapshot.current.interactionsTotal).toBe(2);
    expect(snapshot.current.contactedContacts).toBe(3);
    expect(snapshot.current.clvCentsTotal).toBe(5_500);
  });
});
