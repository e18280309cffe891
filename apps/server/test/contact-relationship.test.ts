/**
 * analytics.contactRelationship: one contact's health (recency and frequency parts), CLV and last
 * contact, as the contact page's relationship panel shows them — the same figures the workspace
 * analytics give for that contact, on Postgres and on PGlite.
 */
import { ManualClock } from "@rapport/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp, type TestDriver } from "./support/app";
import { joinWorkspace } from "./support/members";

const DAY = 86_400_000;
const A = Date.UTC(2026, 5, 30, 12); // a whole minute, so the default asOf is A

const drivers: TestDriver[] = ["postgres", "pglite"];

describe.each(drivers)("analytics.contactRelationship on %s", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let member: SignedInUser;
  let workspaceId: string;
  const ids: Record<string, string> = {};
  const clock = new ManualClock(new Date(A));

  const log = (contact: string, type: "email" | "meeting" | "call" | "note", occurredAt: number) =>
    owner.client.interactions.create.mutate({
      workspaceId,
      contactId: ids[contact]!,
      type,
      direction: type === "note" ? undefined : "inbound",
      occurredAt: new Date(occurredAt),
      subject: "Catch-up",
    });

  beforeAll(async () => {
    app = await createTestApp({ driver, clock });
    [owner, member] = await Promise.all([app.signUp("Owner"), app.signUp("Member")]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: `Relationships on ${driver}` })).id;
    await joinWorkspace(owner, workspaceId, member);
    for (const name of ["Ana", "Ben", "Cy"]) {
      ids[name] = (
        await owner.client.contacts.create.mutate({ workspaceId, name, email: `${name.toLowerCase()}@rel.example` })
      ).id;
    }
    await log("Ana", "call", A - 6.99 * DAY); // d = 6.99 → recency 100
    await log("Ana", "meeting", A - 40 * DAY);
    // Ben: 16 emails over the last 90 days (f = 5.33 → 75), the newest 20 days ago (recency 75).
    for (let k = 0; k < 16; k++) await log("Ben", "email", A - (20 + k * 4) * DAY);
    await log("Ben", "email", A - 200 * DAY); // outside every window, still in the CLV
    await owner.client.analytics.setValues.mutate({ workspaceId, thresholds: { medium: 100, high: 150 } });
  });
  afterAll(() => app?.close());

  it("scores a contact by hand-computed figures: health from recency and frequency, CLV, last contact", async () => {
    const ana = await member.client.analytics.contactRelationship.query({ workspaceId, contactId: ids.Ana! });
    expect(ana).toEqual({
      contactId: ids.Ana,
      asOf: new Date(A),
      // (100 + 25) / 2: two interactions in 90 days is 0.67 a month.
      health: { score: 62.5, recency: 100, frequency: 25, bucket: "at_risk" },
      clv: { value: 75, bucket: "low" },
      lastContactAt: new Date(A - 6.99 * DAY),
      interactions: 2,
      interactions30d: 1,
      interactions90d: 2,
    });
    const ben = await member.client.analytics.contactRelationship.query({ workspaceId, contactId: ids.Ben! });
    expect(ben).toMatchObject({
      health: { score: 75, recency: 75, frequency: 75, bucket: "healthy" },
      clv: { value: 170, bucket: "high" },
      lastContactAt: new Date(A - 20 * DAY),
      interactions: 17,
      interactions30d: 3,
      interactions90d: 16,
    });
  });

  it("a contact never contacted: recency 0, the lowest frequency, no last contact", async () => {
    const cy = await member.client.analytics.contactRelationship.query({ workspaceId, contactId: ids.Cy! });
    expect(cy).toMatchObject({
      health: { score: 12.5, recency: 0, frequency: 25, bucket: "inactive" },
      clv: { value: 0, bucket: "low" },
      lastContactAt: null,
      interactions: 0,
    });
  });

  it("gives the same figures as the workspace analytics' top contacts", async () => {
    const top = await member.client.analytics.topContacts.query({ workspaceId, sortBy: "clv", limit: 10 });
    for (const row of top.items) {
      const one = await member.client.analytics.contactRelationship.query({ workspaceId, contactId: row.id });
      expect([one.health.score, one.health.recency, one.health.frequency, one.clv.value, one.interactions]).toEqual([
        row.health,
        row.recency,
        row.frequency,
        row.clv,
        row.interactionCount,
      ]);
      expect(one.lastContactAt).toEqual(row.lastContactAt);
    }
  });

  it("as of an earlier instant, later interactions do not count yet", async () => {
    const past = await member.client.analytics.contactRelationship.query({
      workspaceId,
      contactId: ids.Ana!,
      asOf: new Date(A - 10 * DAY),
    });
    expect(past).toMatchObject({
      health: { recency: 50, frequency: 25 },
      clv: { value: 50 },
      lastContactAt: new Date(A - 40 * DAY),
      interactions: 1,
    });
  });

  it("a restricted contact is FORBIDDEN until the restriction is lifted", async () => {
    await owner.client.gdpr.restrictContact.mutate({ workspaceId, contactId: ids.Ana! });
    const error = await errorOf(
      member.client.analytics.contactRelationship.query({ workspaceId, contactId: ids.Ana! }),
    );
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toMatch(/restricted for this contact/);
    await owner.client.gdpr.unrestrictContact.mutate({ workspaceId, contactId: ids.Ana! });
    await expect(
      member.client.analytics.contactRelationship.query({ workspaceId, contactId: ids.Ana! }),
    ).resolves.toMatchObject({ interactions: 2 });
  });

  it("a deleted contact and another workspace's contact are NOT_FOUND", async () => {
    const gone = (await owner.client.contacts.create.mutate({ workspaceId, name: "Gone" })).id;
    await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [gone] });
    expect(
      (await errorOf(member.client.analytics.contactRelationship.query({ workspaceId, contactId: gone }))).code,
    ).toBe("NOT_FOUND");
    const stranger = await app.signUp("Stranger");
    const theirs = (await stranger.client.workspaces.create.mutate({ name: "Theirs" })).id;
    const theirContact = (await stranger.client.contacts.create.mutate({ workspaceId: theirs, name: "Zed" })).id;
    expect(
      (await errorOf(member.client.analytics.contactRelationship.query({ workspaceId, contactId: theirContact }))).code,
    ).toBe("NOT_FOUND");
    expect(
      (await errorOf(stranger.client.analytics.contactRelationship.query({ workspaceId, contactId: ids.Ana! }))).code,
    ).toBe("NOT_FOUND");
  });
});
