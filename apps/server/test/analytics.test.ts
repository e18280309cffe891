import { ManualClock } from "@rapport/api";
import ExcelJS from "exceljs";
import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";
import { joinWorkspace } from "./support/members";

const DAY = 86_400_000;
const A = Date.UTC(2026, 5, 30, 12); // the clock: 2026-06-30T12:00:00Z (a whole minute, so the default asOf is A)

describe("analytics", () => {
  let app: TestApp;
  let owner: SignedInUser;
  let member: SignedInUser;
  let stranger: SignedInUser;
  let workspaceId: string;
  const ids: Record<string, string> = {};
  const clock = new ManualClock(new Date(A));

  const log = (contact: string, type: "email" | "meeting" | "call" | "linkedin" | "note", occurredAt: number) =>
    owner.client.interactions.create.mutate({
      workspaceId,
      contactId: ids[contact]!,
      type,
      direction: type === "note" ? undefined : "outbound",
      occurredAt: new Date(occurredAt),
      subject: "Catch-up",
    });

  beforeAll(async () => {
    app = await createTestApp({ clock });
    [owner, member, stranger] = await Promise.all([app.signUp("Owner"), app.signUp("Member"), app.signUp("Stranger")]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Analytics WS" })).id;
    await joinWorkspace(owner, workspaceId, member);
    await stranger.client.workspaces.create.mutate({ name: "Elsewhere" });
    for (const name of ["Ana", "Ben", "Cy", "Dee", "Eve"]) {
      ids[name] = (
        await owner.client.contacts.create.mutate({
          workspaceId,
          name,
          email: `${name.toLowerCase()}@example.com`,
          company: "Acme",
        })
      ).id;
    }
    await log("Ana", "call", A - 6.99 * DAY); // d = 6.99 → recency 100
    await log("Ana", "meeting", A - 40 * DAY);
    await log("Ben", "email", A - 7 * DAY); // d = 7.0 → recency 75
    // Dee: 31 notes in the last 30 days → f = 10.33 → 100 (and notes are worth $0).
    await app.sql`
      INSERT INTO interactions (workspace_id, contact_id, type, direction, occurred_at)
      SELECT ${workspaceId}, ${ids.Dee!}, 'note', 'outbound', ${new Date(A)}::timestamptz - (g * interval '20 hours')
      FROM generate_series(1, 31) g`;
    // Eve is deleted: her meetings count nowhere.
    for (let k = 1; k <= 5; k++) await log("Eve", "meeting", A - k * DAY);
    await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [ids.Eve!] });
  });
  afterAll(() => app?.close());

  it("metrics of a hand-computed workspace (soft-deleted contacts left out)", async () => {
    const metrics = await member.client.analytics.metrics.query({ workspaceId });
    expect(metrics.asOf).toEqual(new Date(A));
    expect(metrics.contacts).toBe(4);
    expect(metrics.clv).toMatchObject({ total: 85, average: 21.25, distribution: { low: 4, medium: 0, high: 0 } });
    expect(metrics.clv.top10.map((c) => [c.name, c.clv])).toEqual([
      ["Ana", 75],
      ["Ben", 10],
      ...[
        ["Cy", 0],
        ["Dee", 0],
      ].sort((a, b) => (ids[a[0] as string]! < ids[b[0] as string]! ? -1 : 1)),
    ]);
    // Ana (100 + 25) / 2 = 62.5, Ben (75 + 25) / 2 = 50, Cy (0 + 25) / 2 = 12.5, Dee (100 + 100) / 2 = 100.
    expect(metrics.health).toEqual({
      average: 56.25,
      distribution: { healthy: 1, at_risk: 2, inactive: 1 },
      // Nobody existed 30 days ago: nothing to compare with.
      trend: { direction: "stable", delta: null, previousAverage: null },
    });
    expect(metrics.engagement).toEqual({
      interactions30d: 33,
      newContacts30d: 4,
      contactedContacts: 3,
      inactiveContacts: 1,
      avgInteractionsPerContact: 8.5,
    });
    expect(metrics.previousPeriod).toMatchObject({ asOf: new Date(A - 30 * DAY), contacts: 0, averageHealth: null });
    expect(metrics.topContacts[0]).toEqual({
      id: ids.Ana,
      name: "Ana",
      email: "ana@example.com",
      company: "Acme",
      clv: 75,
      health: 62.5,
      recency: 100,
      frequency: 25,
      lastContactAt: new Date(A - 6.99 * DAY),
      interactionCount: 2,
    });
    expect(metrics.settings).toEqual({
      values: { email: 10, meeting: 50, call: 25, linkedin: 5, note: 0 },
      thresholds: { medium: 100, high: 500 },
    });

    // The single-purpose procedures answer from the same computation.
    const [clv, health, engagement, top] = await Promise.all([
      member.client.analytics.clv.query({ workspaceId }),
      member.client.analytics.health.query({ workspaceId }),
      member.client.analytics.engagement.query({ workspaceId }),
      member.client.analytics.topContacts.query({ workspaceId, sortBy: "health", limit: 2 }),
    ]);
    expect(clv).toMatchObject({ ...metrics.clv, cached: true });
    expect(health).toMatchObject({ ...metrics.health, cached: true });
    expect(engagement).toMatchObject(metrics.engagement);
    expect(top.items.map((c) => c.name)).toEqual(["Dee", "Ana"]);
  });

  it("an asOf in the past moves every window", async () => {
    // As of 7 days ago: Ben's email is "now" (d = 0), Ana's call is in the future, Dee's newest 8 notes too.
    const past = await member.client.analytics.metrics.query({
      workspaceId,
      asOf: new Date(A - 7 * DAY),
      sortBy: "recency",
    });
    expect(past.topContacts.map((c) => [c.name, c.lastContactAt?.getTime() ?? null])).toEqual([
      ["Ben", A - 7 * DAY],
      ["Dee", A - 9 * 20 * 3_600_000],
      ["Ana", A - 40 * DAY],
      ["Cy", null],
    ]);
    // Ben 1; Ana 0 (her meeting is 33 days before, her call after); Dee's notes 9…31 → 23.
    expect(past.engagement.interactions30d).toBe(0 + 1 + 23);
  });

  it("is cached per minute and invalidated by the next interaction, deletion or value change", async () => {
    const first = await owner.client.analytics.metrics.query({ workspaceId });
    const again = await owner.client.analytics.metrics.query({ workspaceId });
    expect(again.cached).toBe(true);
    expect(again.computedAt).toEqual(first.computedAt);

    // A new interaction: the very next call sees it.
    await log("Cy", "meeting", A - 60_000);
    const afterInteraction = await owner.client.analytics.metrics.query({ workspaceId });
    expect(afterInteraction.cached).toBe(false);
    expect(afterInteraction.clv.total).toBe(first.clv.total + 50);
    expect(afterInteraction.engagement.interactions30d).toBe(first.engagement.interactions30d + 1);
    expect((await owner.client.analytics.metrics.query({ workspaceId })).cached).toBe(true);

    // Deleting a contact removes it and its interactions.
    await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [ids.Cy!] });
    const afterDelete = await owner.client.analytics.metrics.query({ workspaceId });
    expect(afterDelete.contacts).toBe(3);
    expect(afterDelete.clv.total).toBe(first.clv.total);
    await owner.client.contacts.restore.mutate({ workspaceId, contactId: ids.Cy! });
    expect((await owner.client.analytics.metrics.query({ workspaceId })).contacts).toBe(4);

    // Within the same minute the default asOf is the same; a minute later it moves (and is computed afresh).
    clock.advance(30_000);
    expect((await owner.client.analytics.metrics.query({ workspaceId })).asOf).toEqual(new Date(A + 60_000));
    clock.set(new Date(A));
  });

  it("setValues: owners and admins only, validated, audited, applied at once", async () => {
    expect((await errorOf(member.client.analytics.setValues.mutate({ workspaceId, values: { note: 1 } }))).code).toBe(
      "FORBIDDEN",
    );
    expect(
      (await errorOf(owner.client.analytics.setValues.mutate({ workspaceId, thresholds: { medium: 500, high: 500 } })))
        .code,
    ).toBe("BAD_REQUEST");
    const negative = await errorOf(owner.client.analytics.setValues.mutate({ workspaceId, values: { call: -1 } }));
    expect(negative.data.zodIssues[0].path).toEqual(["values", "call"]);
    expect(
      (await errorOf(owner.client.analytics.setValues.mutate({ workspaceId, values: { call: 1.234 } }))).code,
    ).toBe("BAD_REQUEST");

    const before = await owner.client.analytics.clv.query({ workspaceId });
    const saved = await owner.client.analytics.setValues.mutate({
      workspaceId,
      values: { note: 2.5 },
      thresholds: { medium: 50 },
    });
    expect(saved).toMatchObject({
      values: { email: 10, meeting: 50, call: 25, linkedin: 5, note: 2.5 },
      thresholds: { medium: 50, high: 500 },
      revision: 1,
    });
    const after = await owner.client.analytics.clv.query({ workspaceId });
    expect(after.cached).toBe(false);
    expect(after.total).toBe(before.total + 31 * 2.5); // Dee's 31 notes
    expect(after.distribution).toEqual({ low: 1, medium: 3, high: 0 }); // Ben $10 | Ana $75, Cy $50 (his meeting), Dee $77.50

    const audit = await owner.client.audit.list.query({ workspaceId, action: "analytics.values_changed" });
    expect(audit.items[0]).toMatchObject({
      actorId: owner.userId,
      metadata: { values: { note: 2.5 }, thresholds: { medium: 50 }, revision: 1 },
    });

    const reset = await owner.client.analytics.setValues.mutate({ workspaceId, reset: true });
    expect(reset).toMatchObject({ values: { note: 0 }, thresholds: { medium: 100, high: 500 }, revision: 2 });
    expect((await owner.client.analytics.clv.query({ workspaceId })).total).toBe(before.total);
  });

  it("timeseries: interactions per calendar day (in a time zone) or ISO week, by type", async () => {
    // A week in May with nothing else in it (2026-05-04 is a Monday).
    const from = new Date("2026-05-04T00:00:00Z");
    const to = new Date("2026-05-11T00:00:00Z");
    await log("Ben", "call", Date.parse("2026-05-05T10:00:00Z"));
    await log("Ben", "email", Date.parse("2026-05-05T23:30:00Z")); // May 6 in Berlin
    await log("Ben", "email", Date.parse("2026-05-10T23:59:59.999Z"));
    await log("Ben", "email", Date.parse("2026-05-11T00:00:00Z")); // `to` is exclusive
    const utc = await member.client.analytics.timeseries.query({ workspaceId, from, to, bucket: "day" });
    expect(utc.buckets).toHaveLength(7);
    expect(utc.buckets[0]!.startsAt).toEqual(from);
    expect(utc.buckets.map((b) => [b.startsAt.toISOString().slice(0, 10), b.call, b.email])).toEqual([
      ["2026-05-04", 0, 0],
      ["2026-05-05", 1, 1],
      ["2026-05-06", 0, 0],
      ["2026-05-07", 0, 0],
      ["2026-05-08", 0, 0],
      ["2026-05-09", 0, 0],
      ["2026-05-10", 0, 1],
    ]);
    expect(utc.totals).toEqual({ email: 2, meeting: 0, call: 1, linkedin: 0, note: 0, total: 3 });

    const berlin = await member.client.analytics.timeseries.query({
      workspaceId,
      from,
      to,
      bucket: "day",
      timeZone: "Europe/Berlin",
    });
    expect(berlin.buckets[0]!.startsAt.toISOString()).toBe("2026-05-03T22:00:00.000Z"); // Berlin midnight of the day `from` falls in
    expect(berlin.buckets.filter((b) => b.total > 0).map((b) => [b.startsAt.toISOString(), b.total])).toEqual([
      ["2026-05-04T22:00:00.000Z", 1],
      ["2026-05-05T22:00:00.000Z", 1],
      ["2026-05-10T22:00:00.000Z", 1],
    ]);

    const weeks = await member.client.analytics.timeseries.query({
      workspaceId,
      from,
      to: new Date("2026-05-18T00:00:00Z"),
      bucket: "week",
    });
    expect(weeks.buckets.map((b) => [b.startsAt.toISOString().slice(0, 10), b.total])).toEqual([
      ["2026-05-04", 3],
      ["2026-05-11", 1],
    ]);

    // Default range: the 30 days up to now (rounded up to the minute). Eve (deleted) had 5 meetings in it: not counted.
    const recent = await member.client.analytics.timeseries.query({ workspaceId });
    expect(recent.to).toEqual(new Date(A));
    expect(recent.from).toEqual(new Date(A - 30 * DAY));
    expect(recent.totals).toMatchObject({ meeting: 1, note: 31 }); // Cy's meeting a minute ago; Dee's notes

    expect(
      (await errorOf(member.client.analytics.timeseries.query({ workspaceId, timeZone: "Mars/Olympus" }))).code,
    ).toBe("BAD_REQUEST");
    expect((await errorOf(member.client.analytics.timeseries.query({ workspaceId, from: to, to: from }))).code).toBe(
      "BAD_REQUEST",
    );
    expect(
      (await errorOf(member.client.analytics.timeseries.query({ workspaceId, from: new Date(0), to, bucket: "day" })))
        .code,
    ).toBe("BAD_REQUEST");
  });

  describe("export", () => {
    const exportUrl = (params: Record<string, string>) =>
      `${app.url}/api/analytics/export?${new URLSearchParams(params)}`;

    it("CSV with a bearer token: the whole workspace, in the chosen order, as a download", async () => {
      await owner.client.contacts.update.mutate({
        workspaceId,
        contactId: ids.Cy!,
        patch: { company: '=HYPERLINK("http://evil")' },
      });
      const res = await fetch(exportUrl({ workspaceId, format: "csv", sortBy: "clv" }), {
        headers: { authorization: `Bearer ${member.accessToken}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(res.headers.get("content-disposition")).toBe('attachment; filename="rapport-analytics-2026-06-30.csv"');
      const parsed = Papa.parse<Record<string, string>>(await res.text(), { header: true, skipEmptyLines: true });
      expect(parsed.errors).toEqual([]);
      expect(parsed.meta.fields).toEqual([
        "id",
        "name",
        "email",
        "company",
        "clv",
        "health",
        "recency",
        "frequency",
        "last_contact_at",
        "interaction_count",
      ]);
      const top = await member.client.analytics.topContacts.query({ workspaceId, sortBy: "clv", limit: 100 });
      expect(parsed.data).toEqual(
        top.items.map((c) => ({
          id: c.id,
          name: c.name,
          email: c.email ?? "",
          company: c.id === ids.Cy ? '\'=HYPERLINK("http://evil")' : (c.company ?? ""), // formulas are neutralized
          clv: c.clv.toFixed(2),
          health: String(c.health),
          recency: String(c.recency),
          frequency: String(c.frequency),
          last_contact_at: c.lastContactAt?.toISOString() ?? "",
          interaction_count: String(c.interactionCount),
        })),
      );
      expect(parsed.data.map((row) => row.name)).not.toContain("Eve");
    });

    it("Excel through analytics.export's signed link", async () => {
      const link = await member.client.analytics.export.mutate({ workspaceId, format: "xlsx", sortBy: "interactions" });
      expect(link).toMatchObject({
        filename: "rapport-analytics-2026-06-30.xlsx",
        contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      });
      expect(link.expiresAt.getTime() - A).toBe(60_000);
      const res = await fetch(`${app.url}${link.url}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(link.contentType);
      expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${link.filename}"`);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(await res.arrayBuffer());
      const sheet = workbook.getWorksheet("Contacts")!;
      const rows = sheet.getSheetValues().slice(2) as unknown[][]; // [0] unused, [1] header
      expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual([
        "id",
        "name",
        "email",
        "company",
        "clv",
        "health",
        "recency",
        "frequency",
        "last_contact_at",
        "interaction_count",
      ]);
      const top = await member.client.analytics.topContacts.query({ workspaceId, sortBy: "interactions", limit: 100 });
      expect(rows.map((row) => [row[1], row[2], row[5], row[6], row[10]])).toEqual(
        top.items.map((c) => [c.id, c.name, c.clv, c.health, c.interactionCount]),
      );
      expect((rows[0]![9] as Date).getTime()).toBe(top.items[0]!.lastContactAt!.getTime());
    });

    it("another workspace's member, a bad or expired link, or no credentials get nothing", async () => {
      const asStranger = await fetch(exportUrl({ workspaceId }), {
        headers: { authorization: `Bearer ${stranger.accessToken}` },
      });
      expect(asStranger.status).toBe(404);
      expect(await asStranger.text()).not.toContain("ana@example.com");
      expect((await errorOf(stranger.client.analytics.export.mutate({ workspaceId }))).code).toBe("NOT_FOUND");
      expect((await fetch(exportUrl({ workspaceId }))).status).toBe(401);
      expect(
        (
          await fetch(exportUrl({ workspaceId: "not-a-uuid" }), {
            headers: { authorization: `Bearer ${member.accessToken}` },
          })
        ).status,
      ).toBe(400);

      const link = await member.client.analytics.export.mutate({ workspaceId });
      const tampered = link.url.replace(/token=([^.]+)/, (_, body: string) => `token=${body.slice(0, -2)}AA`);
      expect((await fetch(`${app.url}${tampered}`)).status).toBe(401);
      clock.advance(61_000);
      expect((await fetch(`${app.url}${link.url}`)).status).toBe(401);
      clock.set(new Date(A));

      // Membership is checked again when the file is fetched.
      const fresh = await member.client.analytics.export.mutate({ workspaceId });
      await owner.client.workspaces.removeMember.mutate({ workspaceId, userId: member.userId });
      expect((await fetch(`${app.url}${fresh.url}`)).status).toBe(404);
      await joinWorkspace(owner, workspaceId, member);
    });
  });
});
