/**
 * Reconnect: relationships going cold against their own cadence, keep-in-touch frequencies,
 * snooze and done — through the API on Postgres and PGlite; and, on random workspaces (with
 * co-recipients on some interactions), the SQL list equals what packages/core computes from the
 * same rows, on both drivers.
 */
import { randomUUID } from "node:crypto";
import { ManualClock } from "@rapport/api";
import {
  ANALYTICS_DAY_MS as DAY,
  ANALYTICS_INTERACTION_TYPES,
  compareReconnect,
  createRandom,
  DEFAULT_ANALYTICS_SETTINGS,
  DEFAULT_COLD_FACTOR,
  describeReconnect,
  pick,
  reconnectCandidate,
  type AnalyticsInteractionRow,
  type ReconnectCandidate,
} from "@rapport/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, createTestApp, errorOf, type SignedInUser, type TestApp, type TestDriver } from "./support/app";
import { joinWorkspace } from "./support/members";
import { randomParticipants } from "./support/participants";
import { insertRows } from "./support/rows";

const A = Date.UTC(2026, 5, 30, 12);
const drivers: TestDriver[] = ["postgres", "pglite"];

describe.each(drivers)("reconnect on %s", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let member: SignedInUser;
  let workspaceId: string;
  const ids: Record<string, string> = {};
  const clock = new ManualClock(new Date(A));

  const log = (contact: string, daysAgo: number) =>
    owner.client.interactions.create.mutate({
      workspaceId,
      contactId: ids[contact]!,
      type: "meeting",
      direction: "outbound",
      occurredAt: new Date(A - daysAgo * DAY),
      subject: "Catch-up",
    });
  const listed = async (as: SignedInUser = member) =>
    (await as.client.reconnect.list.query({ workspaceId })).items.map((item) => [item.name, item.reason]);

  beforeAll(async () => {
    app = await createTestApp({ driver, clock });
    [owner, member] = await Promise.all([app.signUp("Owner"), app.signUp("Member")]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: `Reconnect on ${driver}` })).id;
    await joinWorkspace(owner, workspaceId, member);
    for (const name of ["Ana", "Ben", "Cy", "Dee", "Eve", "Fay"]) {
      ids[name] = (
        await owner.client.contacts.create.mutate({ workspaceId, name, email: `${name.toLowerCase()}@recon.example` })
      ).id;
    }
    // Ana: every 12 days until 31 days ago. Eve: the same rhythm (restricted below). Fay: the same (erased below).
    for (const name of ["Ana", "Eve", "Fay"]) for (const age of [31, 43, 55, 67, 79, 91]) await log(name, age);
    // Ben: every 12 days until 5 days ago — on rhythm.
    for (const age of [5, 17, 29, 41, 53]) await log("Ben", age);
    // Cy: every 60 days until 200 days ago — already inactive a month ago, not "going cold".
    for (const age of [200, 260, 320]) await log("Cy", age);
    // Dee: once, 40 days ago: no rhythm to learn until someone chooses one.
    await log("Dee", 40);
  });
  afterAll(() => app?.close());

  it("lists the relationships going cold against their own cadence, with the reason in words", async () => {
    // Equal scores: the order among the three is their ids'.
    expect((await listed()).sort()).toEqual([
      ["Ana", "usually every 12 days, last contact 31 days ago; was healthy a month ago"],
      ["Eve", "usually every 12 days, last contact 31 days ago; was healthy a month ago"],
      ["Fay", "usually every 12 days, last contact 31 days ago; was healthy a month ago"],
    ]);
  });

  it("leaves out restricted and erased contacts, and refuses reminders about a restricted one", async () => {
    await owner.client.gdpr.restrictContact.mutate({ workspaceId, contactId: ids.Eve! });
    await owner.client.gdpr.eraseContact.mutate({ workspaceId, contactId: ids.Fay!, reason: "Art. 17 request" });
    expect((await listed()).map(([name]) => name)).toEqual(["Ana"]);
    expect(
      await codeOf(
        member.client.reconnect.setKeepInTouch.mutate({
          workspaceId,
          contactId: ids.Eve!,
          keepInTouch: { every: "week" },
        }),
      ),
    ).toBe("FORBIDDEN");
  });

  it("a chosen keep-in-touch frequency overrides the learned cadence", async () => {
    const row = await member.client.reconnect.setKeepInTouch.mutate({
      workspaceId,
      contactId: ids.Dee!,
      keepInTouch: { every: "month" },
    });
    expect(row).toMatchObject({ keepInTouchDays: 30 });
    expect(await listed()).toContainEqual(["Dee", "you keep in touch every month, last contact 40 days ago"]);
    await member.client.reconnect.setKeepInTouch.mutate({
      workspaceId,
      contactId: ids.Dee!,
      keepInTouch: { every: "custom", days: 60 },
    });
    expect((await listed()).map(([name]) => name)).not.toContain("Dee");
    await member.client.reconnect.setKeepInTouch.mutate({
      workspaceId,
      contactId: ids.Dee!,
      keepInTouch: { every: "week" },
    });
    expect(await member.client.reconnect.get.query({ workspaceId, contactId: ids.Dee! })).toMatchObject({
      keepInTouchDays: 7,
    });
  });

  it("snooze hides a contact until the date; done restarts the clock without logging anything", async () => {
    await member.client.reconnect.snooze.mutate({ workspaceId, contactId: ids.Ana!, until: new Date(A + 7 * DAY) });
    expect((await listed()).map(([name]) => name)).not.toContain("Ana");
    const interactionsBefore = await owner.client.interactions.listForContact.query({
      workspaceId,
      contactId: ids.Dee!,
    });
    await member.client.reconnect.done.mutate({ workspaceId, contactId: ids.Dee! });
    expect((await listed()).map(([name]) => name)).not.toContain("Dee");
    const interactionsAfter = await owner.client.interactions.listForContact.query({
      workspaceId,
      contactId: ids.Dee!,
    });
    expect(interactionsAfter).toEqual(interactionsBefore);

    clock.advance(8 * DAY);
    try {
      const again = await app.signIn(member);
      const names = (await again.client.reconnect.list.query({ workspaceId })).items.map((item) => item.name);
      // The snooze ended; a week after "done", Dee (every week) is due again.
      expect(names).toContain("Ana");
      expect(names).toContain("Dee");
      const dee = (await again.client.reconnect.list.query({ workspaceId })).items.find((item) => item.name === "Dee");
      expect(dee!.reason).toBe("you keep in touch every week, last contact 48 days ago, marked done 8 days ago");
    } finally {
      clock.set(new Date(A));
    }
  });

  it("each change is a domain event in the activity feed", async () => {
    const events = await app.query<{ type: string; payload: { change: string } }>`
      SELECT type, payload FROM domain_events WHERE workspace_id = ${workspaceId} AND type = 'contact.reconnect_changed'
      ORDER BY id`;
    expect(events.map((event) => event.payload.change)).toEqual([
      "keep_in_touch",
      "keep_in_touch",
      "keep_in_touch",
      "snoozed",
      "done",
    ]);
  });

  it("refuses a snooze in the past, a frequency out of range, and another workspace's contact", async () => {
    const past = await errorOf(
      member.client.reconnect.snooze.mutate({ workspaceId, contactId: ids.Ana!, until: new Date(A - DAY) }),
    );
    expect(past).toMatchObject({ code: "BAD_REQUEST" });
    expect(past.message).toMatch(/future/);
    expect(
      await codeOf(
        member.client.reconnect.setKeepInTouch.mutate({
          workspaceId,
          contactId: ids.Ana!,
          keepInTouch: { every: "custom", days: 0 },
        }),
      ),
    ).toBe("BAD_REQUEST");
    const outsider = await app.signUp("Outsider");
    const own = (await outsider.client.workspaces.create.mutate({ name: "Elsewhere" })).id;
    expect(await codeOf(outsider.client.reconnect.list.query({ workspaceId }))).toBe("NOT_FOUND");
    expect(await codeOf(outsider.client.reconnect.done.mutate({ workspaceId: own, contactId: ids.Ana! }))).toBe(
      "NOT_FOUND",
    );
  });
  it("keeps a computed list until a contact or interaction of the workspace changes, or the hour turns", async () => {
    const asOf = async (as: SignedInUser = member) =>
      (await as.client.reconnect.list.query({ workspaceId })).asOf.getTime();
    const computed = await asOf(); // as of A: nothing changed since the last list
    clock.set(new Date(A + 2 * 60_000));
    try {
      expect(await asOf()).toBe(computed);
      // "Done" on Cy (any contact.* or interaction.* event does it): the next list is computed anew.
      await member.client.reconnect.done.mutate({ workspaceId, contactId: ids.Cy! });
      expect(await asOf()).toBe(A + 2 * 60_000);
      expect(await asOf()).toBe(A + 2 * 60_000);
      clock.set(new Date(A + 60 * 60_000));
      expect(await asOf(await app.signIn(member))).toBe(A + 60 * 60_000);
    } finally {
      clock.set(new Date(A));
    }
  });

  it("a contact only cc'd on regular emails has a cadence and goes cold, as its own figures say", async () => {
    const contact = async (name: string) =>
      (await owner.client.contacts.create.mutate({ workspaceId, name, email: `${name.toLowerCase()}@recon.example` }))
        .id;
    const [gil, hal] = [await contact("Gil"), await contact("Hal")];
    // Emails filed under Hal with Gil in cc: every 10 days until 5 days ago — on rhythm for Gil.
    const email = (daysAgo: number) =>
      owner.client.interactions.create.mutate({
        workspaceId,
        contactId: hal,
        type: "email",
        direction: "outbound",
        occurredAt: new Date(A - daysAgo * DAY),
        subject: "Weekly figures",
        participants: [{ contactId: gil, role: "cc" }],
      });
    for (const age of [5, 15, 25, 35, 45]) await email(age);
    expect((await listed()).map(([name]) => name)).not.toContain("Gil");

    clock.set(new Date(A + 20 * DAY));
    try {
      const again = await app.signIn(member);
      const gilEntry = (await again.client.reconnect.list.query({ workspaceId })).items.find(
        (i) => i.contactId === gil,
      );
      expect(gilEntry?.reason).toBe("usually every 10 days, last contact 25 days ago; was healthy a month ago");
      expect(gilEntry?.cadenceDays).toBe(10);
    } finally {
      clock.set(new Date(A));
    }
  });

  it("a learned cadence is at least a week: seen every other day, a contact is cold 11 days after, not 10", async () => {
    const ivo = (await owner.client.contacts.create.mutate({ workspaceId, name: "Ivo", email: "ivo@recon.example" }))
      .id;
    for (let age = 11; age <= 41; age += 2)
      await owner.client.interactions.create.mutate({
        workspaceId,
        contactId: ivo,
        type: "meeting",
        direction: "outbound",
        occurredAt: new Date(A - age * DAY),
        subject: "Stand-up",
      });
    const entry = (await member.client.reconnect.list.query({ workspaceId, limit: 100 })).items.find(
      (i) => i.contactId === ivo,
    );
    expect(entry?.cadenceDays).toBe(7);
    expect(entry?.reason).toMatch(/^usually every week, last contact 11 days ago; was (healthy|at risk) a month ago$/);

    clock.set(new Date(A - 0.75 * DAY)); // 10.25 days after the last touch: within 1.5 × 7
    try {
      const again = await app.signIn(member);
      const items = (await again.client.reconnect.list.query({ workspaceId, limit: 100 })).items;
      expect(items.map((i) => i.contactId)).not.toContain(ivo);
    } finally {
      clock.set(new Date(A));
    }
  });
});

describe.each(drivers)("reconnect on %s: the SQL list equals the core rules on random workspaces", (driver) => {
  let app: TestApp;
  let user: SignedInUser;
  const clock = new ManualClock(new Date(A));
  beforeAll(async () => {
    app = await createTestApp({ driver, clock });
    user = await app.signUp("Property");
  });
  afterAll(() => app?.close());

  it("same contacts, same order, same reasons", async () => {
    const seen = { learned: 0, chosen: 0 };
    for (let seed = 1; seed <= 12; seed++) {
      const random = createRandom(seed);
      const int = (max: number) => Math.floor(random() * max);
      const workspaceId = (await user.client.workspaces.create.mutate({ name: `Property ${seed}` })).id;
      const contacts = Array.from({ length: 5 + int(40) }, (_, i) => ({
        id: randomUUID(),
        workspace_id: workspaceId,
        name: `Contact ${seed}-${i}`,
        deleted_at: random() < 0.1 ? new Date(A - int(20) * DAY) : null,
      }));
      await insertRows(app, "contacts", contacts);
      const interactions: (AnalyticsInteractionRow & { id: string })[] = [];
      for (const contact of contacts) {
        const style = int(4);
        const count = style === 0 ? int(3) : 3 + int(25);
        const period = 3 + int(40);
        const start = int(200);
        for (let k = 0; k < count; k++) {
          // Regular with noise, bursts on one day, or scattered; some after asOf.
          const age =
            style === 3 ? int(400) : start + k * period + (random() < 0.3 ? random() : 0) - (random() < 0.05 ? 30 : 0);
          interactions.push({
            id: randomUUID(),
            contactId: contact.id,
            type: pick(ANALYTICS_INTERACTION_TYPES, random),
            occurredAt: Math.round(A - age * DAY + int(DAY)), // whole ms, as the database keeps them
          });
        }
      }
      // Co-recipients: an interaction counts for every contact taking part, as in analytics.
      const participants = randomParticipants(
        interactions.map((i) => ({ id: i.id, contact_id: i.contactId })),
        contacts,
        workspaceId,
        random,
      );
      for (const p of participants)
        if (p.contact_id !== null) {
          const interaction = interactions.find((i) => i.id === p.interaction_id)!;
          interaction.participantContactIds = [...(interaction.participantContactIds ?? []), p.contact_id];
        }
      if (interactions.length > 0) {
        const rows = interactions.map((i) => ({
          id: i.id,
          workspace_id: workspaceId,
          contact_id: i.contactId,
          type: i.type,
          direction: "inbound",
          occurred_at: new Date(+i.occurredAt),
        }));
        await insertRows(app, "interactions", rows);
        await insertRows(app, "interaction_participants", participants);
      }
      const reconnect = contacts
        .filter(() => random() < 0.3)
        .map((contact) => ({
          contact_id: contact.id,
          workspace_id: workspaceId,
          keep_in_touch_days: random() < 0.6 ? 1 + int(120) : null,
          snoozed_until: random() < 0.3 ? new Date(A + (int(20) - 10) * DAY) : null,
          done_at: random() < 0.3 ? new Date(A - int(60) * DAY) : null,
        }));
      await insertRows(app, "contact_reconnect", reconnect);
      const restricted = new Set(contacts.filter(() => random() < 0.1).map((c) => c.id));
      await insertRows(
        app,
        "gdpr_restrictions",
        [...restricted].map((id) => ({ subject_kind: "contact", subject_id: id, workspace_id: workspaceId })),
      );

      const settings = { values: DEFAULT_ANALYTICS_SETTINGS.valuesCents, coldFactor: DEFAULT_COLD_FACTOR };
      const expected: ReconnectCandidate[] = [];
      for (const contact of contacts) {
        if (contact.deleted_at) continue;
        const row = reconnect.find((r) => r.contact_id === contact.id);
        const candidate = reconnectCandidate(
          {
            contactId: contact.id,
            interactions,
            keepInTouchDays: row?.keep_in_touch_days ?? null,
            snoozedUntilMs: row?.snoozed_until?.getTime() ?? null,
            doneAtMs: row?.done_at?.getTime() ?? null,
            restricted: restricted.has(contact.id),
          },
          A,
          settings,
        );
        if (candidate) expected.push(candidate);
      }
      expected.sort(compareReconnect);

      const { items } = await user.client.reconnect.list.query({ workspaceId, limit: 100 });
      expect(
        items.map((item) => item.contactId),
        `seed ${seed}`,
      ).toEqual(expected.slice(0, 100).map((c) => c.contactId));
      for (const [i, item] of items.entries()) {
        const core = expected[i]!;
        expect(item.reason, `seed ${seed}`).toBe(describeReconnect(core));
        expect(item.cadenceDays).toBeCloseTo(core.cadenceDays, 9);
        expect(item.score).toBeCloseTo(core.score, 6);
        seen[core.cadenceSource]++;
      }
    }
    // The generator must exercise both kinds of entries, or this test proves little.
    expect(seen.learned).toBeGreaterThan(20);
    expect(seen.chosen).toBeGreaterThan(10);
  });
});
