/**
 * Property: on random workspaces and random asOf values, the SQL computation
 * (AnalyticsService → one statement over the database) gives exactly what the
 * packages/core definitions give on the same rows — every total, bucket,
 * previous-period figure and top list, and every export row.
 *
 * The generator puts interactions exactly on the window boundaries of the
 * chosen asOf values (7, 30, 60, 90, 120 days before, asOf itself, one ms
 * either side), in the future, on soft-deleted contacts, before a contact's
 * creation, and in a second workspace that must not leak in. Some interactions have other
 * contacts taking part (an email's co-recipients, deleted ones too, the filed-under contact listed
 * again, addresses that are no contact): they count on each of those contacts' figures and once in
 * the workspace totals.
 */
import { randomUUID } from "node:crypto";
import {
  ANALYTICS_DAY_MS as DAY,
  ANALYTICS_INTERACTION_TYPES,
  compareTopContacts,
  computeAnalyticsSnapshot,
  contactAnalytics,
  createRandom,
  pick,
  TOP_CONTACT_SORTS,
  toMetrics,
  type AnalyticsContactRow,
  type AnalyticsInteractionRow,
  type AnalyticsSettings,
} from "@rapport/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/app";
import { randomParticipants } from "./support/participants";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app?.close());

const BASE = Date.UTC(2026, 0, 1, 9, 30);
const BOUNDARIES_DAYS = [0, 7, 30, 37, 60, 90, 120];

interface Generated {
  workspaceId: string;
  asOfs: number[];
  settings: AnalyticsSettings;
}

async function generateWorkspace(seed: number, ownerWorkspace?: string): Promise<Generated> {
  const random = createRandom(seed);
  const int = (max: number) => Math.floor(random() * max);
  const workspaceId = ownerWorkspace ?? randomUUID();
  if (!ownerWorkspace) await app.sql`INSERT INTO workspaces (id, name) VALUES (${workspaceId}, ${`Property ${seed}`})`;

  const asOfs = Array.from({ length: 4 }, () => BASE - int(250 * DAY) + int(10 * DAY));
  const contactCount = seed % 5 === 0 ? 0 : 1 + int(40);
  const contacts = Array.from({ length: contactCount }, (_, i) => {
    const createdAt = BASE - int(400 * DAY);
    return {
      id: randomUUID(),
      workspace_id: workspaceId,
      name: `Contact ${seed}-${i}`,
      email: random() < 0.8 ? `c${seed}.${i}@example.com` : null,
      company: random() < 0.7 ? pick(["Acme", "Globex", "Initech"], random) : null,
      created_at: new Date(createdAt),
      deleted_at: random() < 0.15 ? new Date(createdAt + int(30 * DAY)) : null,
    };
  });
  const interactions: (Record<string, unknown> & { id: string; contact_id: string })[] = [];
  const add = (contactId: string, occurredAt: number) =>
    interactions.push({
      id: randomUUID(),
      workspace_id: workspaceId,
      contact_id: contactId,
      type: pick(ANALYTICS_INTERACTION_TYPES, random),
      direction: random() < 0.5 ? "inbound" : "outbound",
      occurred_at: new Date(occurredAt),
    });
  // Zipf-ish: a few contacts get most of the activity, so the frequency buckets all occur.
  const busy = contacts.filter(() => random() < 0.3);
  const total = contactCount === 0 ? 0 : int(500);
  for (let k = 0; k < total; k++) {
    const contact = busy.length > 0 && random() < 0.7 ? pick(busy, random) : pick(contacts, random);
    add(contact.id, BASE - int(300 * DAY) + int(20 * DAY));
  }
  // Exactly on (and one ms around) every window boundary of every asOf.
  for (const asOf of asOfs) {
    for (const days of BOUNDARIES_DAYS) {
      if (contacts.length === 0) break;
      for (const delta of [-1, 0, 1]) if (random() < 0.5) add(pick(contacts, random).id, asOf - days * DAY + delta);
    }
  }
  // Contacts created exactly at asOf − 30 days (the previous period's edge) and at asOf.
  if (contacts[0]) contacts[0].created_at = new Date(asOfs[0]! - 30 * DAY);
  if (contacts[1]) contacts[1].created_at = new Date(asOfs[1]!);

  const participants = randomParticipants(interactions, contacts, workspaceId, random);

  if (contacts.length > 0) await app.sql`INSERT INTO contacts ${app.sql(contacts)}`;
  for (let i = 0; i < interactions.length; i += 1_000)
    await app.sql`INSERT INTO interactions ${app.sql(interactions.slice(i, i + 1_000))}`;
  for (let i = 0; i < participants.length; i += 1_000)
    await app.sql`INSERT INTO interaction_participants ${app.sql(participants.slice(i, i + 1_000))}`;

  const settings: AnalyticsSettings =
    seed % 3 === 0
      ? {
          valuesCents: { email: 1_000, meeting: 5_000, call: 2_500, linkedin: 500, note: 0 },
          thresholdsCents: { medium: 10_000, high: 50_000 },
        }
      : {
          valuesCents: {
            email: int(3_000),
            meeting: int(9_000),
            call: int(5_000),
            linkedin: int(1_000),
            note: int(500),
          },
          thresholdsCents: { medium: 1 + int(20_000), high: 20_001 + int(80_000) },
        };
  return { workspaceId, asOfs, settings };
}

async function rowsOf(workspaceId: string) {
  const contacts = await app.sql<
    {
      id: string;
      name: string;
      email: string | null;
      company: string | null;
      created_at: Date;
      deleted_at: Date | null;
    }[]
  >`
    SELECT id, name, email, company, created_at, deleted_at FROM contacts WHERE workspace_id = ${workspaceId}`;
  const interactions = await app.sql<
    { id: string; contact_id: string; type: AnalyticsInteractionRow["type"]; occurred_at: Date }[]
  >`
    SELECT id, contact_id, type, occurred_at FROM interactions WHERE workspace_id = ${workspaceId}`;
  const participants = await app.sql<{ interaction_id: string; contact_id: string }[]>`
    SELECT interaction_id, contact_id FROM interaction_participants
    WHERE workspace_id = ${workspaceId} AND contact_id IS NOT NULL`;
  const takingPart = new Map<string, string[]>();
  for (const p of participants)
    takingPart.set(p.interaction_id, [...(takingPart.get(p.interaction_id) ?? []), p.contact_id]);
  return {
    contacts: contacts.map(
      (c): AnalyticsContactRow => ({
        id: c.id,
        name: c.name,
        email: c.email,
        company: c.company,
        createdAt: c.created_at,
        deletedAt: c.deleted_at,
      }),
    ),
    interactions: interactions.map(
      (i): AnalyticsInteractionRow => ({
        contactId: i.contact_id,
        participantContactIds: takingPart.get(i.id) ?? [],
        type: i.type,
        occurredAt: i.occurred_at,
      }),
    ),
  };
}

describe("analytics: SQL equals the core definitions", () => {
  it("on 12 random workspaces × 4 random asOf values (plus a neighbour workspace that must not leak in)", async () => {
    const generated: Generated[] = [];
    for (let seed = 1; seed <= 12; seed++) generated.push(await generateWorkspace(seed));
    let compared = 0;
    for (const { workspaceId, asOfs, settings } of generated) {
      const rows = await rowsOf(workspaceId);
      for (const asOf of asOfs) {
        const { snapshot } = await app.runtime.services.analytics.computeSnapshot(
          workspaceId,
          new Date(asOf),
          settings,
        );
        const expected = computeAnalyticsSnapshot({ ...rows, settings, asOf, topLimit: 100 });
        expect(snapshot, `workspace ${workspaceId} as of ${new Date(asOf).toISOString()}`).toEqual(expected);
        compared++;
      }
    }
    expect(compared).toBe(48);
  });

  it("the export rows are the core's per-contact figures, in the order of each sort", async () => {
    for (const seed of [21, 22, 23]) {
      const { workspaceId, asOfs, settings } = await generateWorkspace(seed);
      const rows = await rowsOf(workspaceId);
      const live = rows.contacts.filter((c) => c.deletedAt === null);
      for (const [i, sortBy] of TOP_CONTACT_SORTS.entries()) {
        const asOf = asOfs[i % asOfs.length]!;
        const expected = live
          .map((c) =>
            contactAnalytics(
              c.id,
              rows.interactions.filter((x) => x.contactId === c.id || x.participantContactIds?.includes(c.id)),
              asOf,
              settings.valuesCents,
            ),
          )
          .sort(compareTopContacts(sortBy))
          .map((s) => [s.id, s.clvCents, s.recency, s.frequency, s.interactionCount, s.lastContactMs]);
        // The export reads the workspace's stored settings; store these first.
        await app.sql`
          INSERT INTO analytics_settings (workspace_id, email_cents, meeting_cents, call_cents, linkedin_cents, note_cents, medium_threshold_cents, high_threshold_cents)
          VALUES (${workspaceId}, ${settings.valuesCents.email}, ${settings.valuesCents.meeting}, ${settings.valuesCents.call}, ${settings.valuesCents.linkedin},
                  ${settings.valuesCents.note}, ${settings.thresholdsCents.medium}, ${settings.thresholdsCents.high})
          ON CONFLICT (workspace_id) DO NOTHING`;
        const exported: unknown[][] = [];
        await app.runtime.services.analytics.streamExport(
          workspaceId,
          { sortBy, asOf: new Date(asOf) },
          async (batch) => {
            for (const r of batch)
              exported.push([
                r.id,
                Number(r.cents),
                Number(r.r),
                Number(r.f),
                Number(r.n),
                r.last_ms === null ? null : Number(r.last_ms),
              ]);
          },
        );
        expect(exported, `${sortBy} as of ${new Date(asOf).toISOString()}`).toEqual(expected);
      }
    }
  });

  it("timeseries: every live interaction of [from, to) lands in the bucket that contains it (UTC and Europe/Berlin, days and weeks)", async () => {
    const owner = await app.signUp("Series Owner");
    const workspace = await owner.client.workspaces.create.mutate({ name: "Series" });
    await generateWorkspace(41, workspace.id);
    const rows = await rowsOf(workspace.id);
    const live = new Set(rows.contacts.filter((c) => c.deletedAt === null).map((c) => c.id));
    const berlinClock = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/Berlin",
      hour: "2-digit",
      minute: "2-digit",
      weekday: "short",
      hourCycle: "h23",
    });
    const random = createRandom(99);
    for (const [timeZone, bucket] of [
      ["UTC", "day"],
      ["Europe/Berlin", "day"],
      ["Europe/Berlin", "week"],
      ["UTC", "week"],
    ] as const) {
      // Berlin days: across the end of summer time (2025-10-26 has 25 hours).
      const from =
        timeZone === "Europe/Berlin" && bucket === "day"
          ? Date.UTC(2025, 9, 10, 5, 17)
          : BASE - Math.floor(random() * 200 * DAY);
      const to = from + (bucket === "day" ? 45 : 30 * 7) * DAY + Math.floor(random() * DAY);
      const series = await owner.client.analytics.timeseries.query({
        workspaceId: workspace.id,
        from: new Date(from),
        to: new Date(to),
        bucket,
        timeZone,
      });
      const starts = series.buckets.map((b) => b.startsAt.getTime());
      // Bucket starts are local midnights (Mondays for weeks), consecutive, the first at or before `from`.
      expect(starts[0]!).toBeLessThanOrEqual(from);
      for (const start of starts) {
        const local = berlinClock.format(new Date(start));
        if (timeZone === "Europe/Berlin") expect(local).toMatch(bucket === "week" ? /^Mon 00:00$/ : /00:00$/);
        else expect(new Date(start).getUTCHours()).toBe(0);
      }
      for (let i = 1; i < starts.length; i++) {
        const gapHours = (starts[i]! - starts[i - 1]!) / 3_600_000;
        // A day is 24 hours, or 23 / 25 across a DST change; a week 168 ± 1.
        expect(bucket === "day" ? [23, 24, 25] : [167, 168, 169]).toContain(gapHours);
      }
      if (timeZone === "Europe/Berlin" && bucket === "day")
        expect(starts.some((start, i) => i > 0 && start - starts[i - 1]! === 25 * 3_600_000)).toBe(true);
      // The reference count: each live interaction in [from, to), placed by binary search over the starts.
      const expected = starts.map((startsAt) => ({
        startsAt,
        email: 0,
        meeting: 0,
        call: 0,
        linkedin: 0,
        note: 0,
        total: 0,
      }));
      for (const interaction of rows.interactions) {
        const at = (interaction.occurredAt as Date).getTime();
        if (!live.has(interaction.contactId) || at < from || at >= to) continue;
        let index = starts.length - 1;
        while (starts[index]! > at) index--;
        expected[index]![interaction.type]++;
        expected[index]!.total++;
      }
      expect(
        series.buckets.map((b) => ({ ...b, startsAt: b.startsAt.getTime() })),
        `${timeZone} ${bucket}`,
      ).toEqual(expected);
    }
  });

  it("through the API (cache included), analytics.metrics is toMetrics of the core snapshot", async () => {
    const owner = await app.signUp("Property Owner");
    const workspace = await owner.client.workspaces.create.mutate({ name: "Property via API" });
    const { asOfs } = await generateWorkspace(31, workspace.id);
    const settings: AnalyticsSettings = {
      valuesCents: { email: 1_234, meeting: 4_321, call: 999, linkedin: 1, note: 50 },
      thresholdsCents: { medium: 5_000, high: 12_345 },
    };
    await owner.client.analytics.setValues.mutate({
      workspaceId: workspace.id,
      values: { email: 12.34, meeting: 43.21, call: 9.99, linkedin: 0.01, note: 0.5 },
      thresholds: { medium: 50, high: 123.45 },
    });
    const rows = await rowsOf(workspace.id);
    for (const asOf of asOfs) {
      for (const sortBy of TOP_CONTACT_SORTS) {
        const {
          cached: _cached,
          computedAt: _computedAt,
          sortBy: _sortBy,
          ...metrics
        } = await owner.client.analytics.metrics.query({
          workspaceId: workspace.id,
          asOf: new Date(asOf),
          sortBy,
          limit: 25,
        });
        expect(metrics).toEqual(
          toMetrics(computeAnalyticsSnapshot({ ...rows, settings, asOf }), { sortBy, limit: 25 }),
        );
      }
    }
  });
});
