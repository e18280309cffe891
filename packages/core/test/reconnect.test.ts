import { describe, expect, it } from "vitest";
import {
  ANALYTICS_DAY_MS as DAY,
  cadenceDays,
  compareReconnect,
  createRandom,
  DEFAULT_ANALYTICS_SETTINGS,
  DEFAULT_COLD_FACTOR,
  describeReconnect,
  reconnectCandidate,
  touchDays,
  type AnalyticsInteractionRow,
  type ReconnectInput,
} from "../src/index";

const A = Date.UTC(2026, 5, 30, 12);
const SETTINGS = { values: DEFAULT_ANALYTICS_SETTINGS.valuesCents, coldFactor: DEFAULT_COLD_FACTOR };

function daysAgo(...ages: number[]): number[] {
  return ages.map((age) => A - age * DAY);
}

function input(ages: number[], overrides: Partial<ReconnectInput> = {}): ReconnectInput {
  const contactId = overrides.contactId ?? "c1";
  const interactions: AnalyticsInteractionRow[] = daysAgo(...ages).map((at) => ({
    contactId,
    type: "meeting",
    occurredAt: at,
  }));
  return {
    contactId,
    interactions,
    keepInTouchDays: null,
    snoozedUntilMs: null,
    doneAtMs: null,
    restricted: false,
    ...overrides,
  };
}

describe("cadence: the median gap between touches over the last year", () => {
  it("regular: every 12 days → 12", () => {
    expect(cadenceDays(daysAgo(12, 24, 36, 48, 60, 72), A)).toBeCloseTo(12, 9);
  });

  it("brand new or sparse: fewer than three touches in the last year → none", () => {
    expect(cadenceDays([], A)).toBeNull();
    expect(cadenceDays(daysAgo(3), A)).toBeNull();
    expect(cadenceDays(daysAgo(3, 40), A)).toBeNull();
    // Three touches, but one of them is older than a year.
    expect(cadenceDays(daysAgo(10, 100, 400), A)).toBeNull();
  });

  it("bursty: a thread of emails on one day is one touch", () => {
    const monthly = daysAgo(30, 60, 90, 120);
    const withThreads = [...monthly, ...daysAgo(30.1, 30.2, 30.3, 60.05, 60.2, 90.4)];
    expect(touchDays(withThreads, A)).toHaveLength(4);
    expect(cadenceDays(withThreads, A)).toBe(30);
  });

  it("the median shrugs off one long holiday", () => {
    expect(cadenceDays(daysAgo(14, 28, 42, 56, 200), A)).toBeCloseTo(14, 9);
  });

  it("never shorter than a week: daily colleagues are not cold after a weekend", () => {
    expect(cadenceDays(daysAgo(1, 2, 3, 4, 5), A)).toBe(7);
  });

  it("ignores interactions after asOf", () => {
    expect(cadenceDays([...daysAgo(10, 20, 30), A + 5 * DAY, A + 6 * DAY], A)).toBeCloseTo(10, 9);
  });

  it("property: order does not matter and shifting every touch by whole days changes nothing", () => {
    const random = createRandom(11);
    for (let run = 0; run < 300; run++) {
      const ages = Array.from({ length: 2 + Math.floor(random() * 12) }, () => random() * 300);
      const shuffled = [...ages].sort(() => random() - 0.5);
      expect(cadenceDays(daysAgo(...shuffled), A)).toBe(cadenceDays(daysAgo(...ages), A));
      const shift = Math.floor(random() * 20); // whole days keep each touch on its own UTC day
      const later = daysAgo(...ages).map((at) => at + shift * DAY);
      const inWindow = ages.every((age) => age < 365 - 1 && age - shift > -1);
      if (inWindow && ages.every((age) => age >= shift)) {
        const before = cadenceDays(daysAgo(...ages), A);
        const after = cadenceDays(later, A);
        if (before === null) expect(after).toBeNull();
        else expect(after).toBeCloseTo(before, 6);
      }
    }
  });

  it("property: cadence lies between the shortest and the longest gap (floored at a week)", () => {
    const random = createRandom(12);
    for (let run = 0; run < 300; run++) {
      const ages = Array.from({ length: 3 + Math.floor(random() * 10) }, () => random() * 360);
      const points = touchDays(daysAgo(...ages), A);
      const cadence = cadenceDays(daysAgo(...ages), A);
      if (points.length < 3) {
        expect(cadence).toBeNull();
        continue;
      }
      const gaps = points.slice(1).map((day, i) => day - points[i]!);
      expect(cadence).toBeGreaterThanOrEqual(Math.max(Math.min(...gaps), 7) - 1e-9);
      expect(cadence).toBeLessThanOrEqual(Math.max(Math.max(...gaps), 7) + 1e-9);
    }
  });
});

describe("going cold", () => {
  // Every 12 days until 31 days ago: healthy a month ago (recency 100 then), overdue now.
  const coldHistory = [31, 43, 55, 67, 79, 91];

  it("overdue by more than 1.5 × the cadence and healthy a month ago → suggested, with reasons", () => {
    const candidate = reconnectCandidate(input(coldHistory), A, SETTINGS);
    expect(candidate).not.toBeNull();
    expect(candidate!.cadenceDays).toBeCloseTo(12, 9);
    expect(candidate!.overdueRatio).toBeCloseTo(31 / 12, 9);
    expect(candidate!.healthThen).toBe("healthy");
    expect(describeReconnect(candidate!)).toBe(
      "usually every 12 days, last contact 31 days ago; was healthy a month ago",
    );
  });

  it("interactions the contact is only cc'd on count as touches; other contacts' interactions do not", () => {
    const ccOnly = (contactId: string) =>
      input(coldHistory).interactions.map((i) => ({ ...i, contactId: "boss", participantContactIds: [contactId] }));
    const cc = reconnectCandidate({ ...input([]), interactions: ccOnly("c1") }, A, SETTINGS);
    expect(cc).toEqual(reconnectCandidate(input(coldHistory), A, SETTINGS));
    expect(reconnectCandidate({ ...input([]), interactions: ccOnly("someone-else") }, A, SETTINGS)).toBeNull();
  });

  it("within 1.5 × the cadence → not suggested", () => {
    expect(reconnectCandidate(input([17, 29, 41, 53, 65]), A, SETTINGS)).toBeNull();
    expect(reconnectCandidate(input([19, 31, 43, 55, 67]), A, SETTINGS)).not.toBeNull();
  });

  it("already inactive a month ago → not going cold, it is gone", () => {
    // Every 60 days, last touch 200 days ago: inactive a month ago.
    expect(reconnectCandidate(input([200, 260, 320]), A, SETTINGS)).toBeNull();
  });

  it("sparse and brand-new relationships have no learned cadence → not suggested", () => {
    expect(reconnectCandidate(input([]), A, SETTINGS)).toBeNull();
    expect(reconnectCandidate(input([100, 200]), A, SETTINGS)).toBeNull();
  });

  it("a chosen keep-in-touch frequency overrides the cadence and applies whatever the health was", () => {
    const monthly = input([40], { keepInTouchDays: 30 });
    const candidate = reconnectCandidate(monthly, A, SETTINGS);
    expect(candidate).toMatchObject({ cadenceSource: "chosen", cadenceDays: 30, healthThen: null });
    expect(describeReconnect(candidate!)).toBe("you keep in touch every month, last contact 40 days ago");
    expect(reconnectCandidate(input([20], { keepInTouchDays: 30 }), A, SETTINGS)).toBeNull();
    expect(describeReconnect(reconnectCandidate(input([20], { keepInTouchDays: 10 }), A, SETTINGS)!)).toBe(
      "you keep in touch every 10 days, last contact 20 days ago",
    );
  });

  it("snoozed → hidden until the snooze ends, then back", () => {
    const snoozed = input(coldHistory, { snoozedUntilMs: A + 7 * DAY });
    expect(reconnectCandidate(snoozed, A, SETTINGS)).toBeNull();
    expect(reconnectCandidate(snoozed, A + 8 * DAY, SETTINGS)).not.toBeNull();
  });

  it("done restarts the clock until the next interaction", () => {
    const done = input(coldHistory, { doneAtMs: A - 2 * DAY });
    expect(reconnectCandidate(done, A, SETTINGS)).toBeNull();
    // 19 days after "done" the learned cadence (12 × 1.5 = 18) is exceeded again.
    const later = reconnectCandidate(done, A + 17 * DAY, SETTINGS);
    expect(later).not.toBeNull();
    expect(describeReconnect(later!)).toMatch(
      /^usually every 12 days, last contact 48 days ago, marked done 19 days ago/,
    );
  });

  it("restricted contacts are never suggested", () => {
    expect(reconnectCandidate(input(coldHistory, { restricted: true }), A, SETTINGS)).toBeNull();
    expect(reconnectCandidate(input([40], { keepInTouchDays: 7, restricted: true }), A, SETTINGS)).toBeNull();
  });

  it("ranks by CLV × how overdue; contacts without values still rank by lateness", () => {
    const values = { ...SETTINGS.values, meeting: 0 };
    const late = reconnectCandidate(input([60], { keepInTouchDays: 30, contactId: "late" }), A, {
      ...SETTINGS,
      values,
    })!;
    const later = reconnectCandidate(input([90], { keepInTouchDays: 30, contactId: "later" }), A, {
      ...SETTINGS,
      values,
    })!;
    expect([late, later].sort(compareReconnect).map((c) => c.contactId)).toEqual(["later", "late"]);
    const valuable = reconnectCandidate(input([60], { keepInTouchDays: 30, contactId: "valuable" }), A, SETTINGS)!;
    expect(valuable.clvCents).toBeGreaterThan(0);
    expect([later, valuable].sort(compareReconnect)[0]!.contactId).toBe("valuable");
  });

  it("property: a candidate is always overdue and its score grows with lateness", () => {
    const random = createRandom(21);
    for (let run = 0; run < 500; run++) {
      const ages = Array.from({ length: Math.floor(random() * 12) }, () => 1 + random() * 360);
      const keep = random() < 0.3 ? 7 + Math.floor(random() * 90) : null;
      const candidate = reconnectCandidate(input(ages, { keepInTouchDays: keep }), A, SETTINGS);
      if (candidate === null) continue;
      const threshold = candidate.cadenceSource === "chosen" ? 1 : DEFAULT_COLD_FACTOR;
      expect(candidate.overdueRatio).toBeGreaterThan(threshold);
      const tomorrow = reconnectCandidate(input(ages, { keepInTouchDays: keep }), A + DAY, SETTINGS);
      if (tomorrow !== null && tomorrow.cadenceDays === candidate.cadenceDays) {
        expect(tomorrow.score).toBeGreaterThan(candidate.score);
      }
    }
  });
});
