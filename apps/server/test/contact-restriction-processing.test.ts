/**
 * GDPR Art. 18 beyond the contact's own record, on Postgres and PGlite: while a contact's
 * processing is restricted, the workspace's analytics (figures, top contacts, activity over
 * time, the export) leave it out, and an import neither changes it through a row with its
 * email nor offers it as a possible duplicate of a new row. Lifting the restriction brings it
 * back into the analytics.
 */
import { ManualClock } from "@rapport/api";
import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type SignedInUser, type TestApp, type TestDriver } from "./support/app";
import { until } from "./support/until";

const drivers: TestDriver[] = ["postgres", "pglite"];
const DAY = 86_400_000;
const A = Date.UTC(2026, 5, 30, 12);

describe.each(drivers)("a restricted contact in analytics and imports on %s", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let workspaceId: string;
  let anaId: string;
  let ritaId: string;
  const clock = new ManualClock(new Date(A));

  beforeAll(async () => {
    app = await createTestApp({ driver, clock });
    owner = await app.signUp("Owner");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: `Art. 18 on ${driver}` })).id;
    const create = async (name: string, email: string, phone: string) =>
      (await owner.client.contacts.create.mutate({ workspaceId, name, email, phone, company: "Umbrella" })).id;
    anaId = await create("Ana Open", "ana@art18.example", "+44 20 7946 0100");
    ritaId = await create("Rita Restricted", "rita@art18.example", "+44 20 7946 0111");
    for (const contactId of [anaId, ritaId])
      await owner.client.interactions.create.mutate({
        workspaceId,
        contactId,
        type: "meeting",
        direction: "outbound",
        occurredAt: new Date(A - 2 * DAY),
        subject: "Kick-off",
      });
  }, 120_000);
  afterAll(() => app?.close());

  const analytics = async () => {
    const [metrics, top, series, exported] = await Promise.all([
      owner.client.analytics.metrics.query({ workspaceId }),
      owner.client.analytics.topContacts.query({ workspaceId, sortBy: "clv", limit: 10 }),
      owner.client.analytics.timeseries.query({ workspaceId }),
      fetch(`${app.url}/api/analytics/export?workspaceId=${workspaceId}&format=csv`, {
        headers: { authorization: `Bearer ${owner.accessToken}` },
      }).then(async (res) => {
        expect(res.status).toBe(200);
        return Papa.parse<{ id: string }>(await res.text(), { header: true, skipEmptyLines: true }).data;
      }),
    ]);
    return {
      contacts: metrics.contacts,
      top: top.items.map((c) => c.id).sort(),
      meetings: series.totals.meeting,
      exported: exported.map((row) => row.id).sort(),
    };
  };

  it("analytics leave the contact out while it is restricted, and count it again once lifted", async () => {
    const both = [anaId, ritaId].sort();
    expect(await analytics()).toEqual({ contacts: 2, top: both, meetings: 2, exported: both });

    await owner.client.gdpr.restrictContact.mutate({ workspaceId, contactId: ritaId });
    // At once: the restriction's event invalidates the cached figures.
    expect(await analytics()).toEqual({ contacts: 1, top: [anaId], meetings: 1, exported: [anaId] });

    await owner.client.gdpr.unrestrictContact.mutate({ workspaceId, contactId: ritaId });
    expect(await analytics()).toEqual({ contacts: 2, top: both, meetings: 2, exported: both });
  });

  it("an import leaves the restricted contact unchanged, says why, and never offers it as a possible duplicate", async () => {
    await owner.client.gdpr.restrictContact.mutate({ workspaceId, contactId: ritaId });
    // The run compares rows with the contacts created before it started.
    clock.advance(1_000);
    const file = [
      "Name,Email,Company,Phone",
      "Rita Renamed,rita@art18.example,Umbrella Corp,", // 2: her email: an update she must not get
      "Rita Restricted,rita.r@art18.example,Umbrella,+442079460111", // 3: her name, company and number
      "Ana Opem,ana.o@art18.example,Umbrella,", // 4: like the open contact: flagged as before
    ].join("\n");
    const response = await fetch(`${app.url}/api/imports/upload?workspaceId=${workspaceId}&format=csv`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner.accessToken}` },
      body: file,
    });
    expect(response.status).toBe(201);
    const { importId } = (await response.json()) as { importId: string };

    const preview = await owner.client.imports.preview.query({ workspaceId, importId });
    expect(preview.rows.map((row) => row.possibleDuplicate?.contactId ?? null)).toEqual([null, null, anaId]);

    await owner.client.imports.start.mutate({
      workspaceId,
      importId,
      mapping: preview.mapping,
      badRows: "skip",
      existing: "overwrite",
    });
    const done = await until(`import ${importId}`, async () => {
      const state = await owner.client.imports.get.query({ workspaceId, importId });
      return state.status === "completed" || state.status === "failed" ? state : null;
    });
    expect(done).toMatchObject({ status: "completed", created: 2, updated: 0, skipped: 1, flagged: 1 });
    expect(done.problems.map((p) => [p.row, p.outcome, p.field, p.contactId])).toEqual([
      [2, "skipped", "email", ritaId],
      [4, "flagged", "name", anaId],
    ]);
    expect(done.problems[0]!.reason).toMatch(/restricted/i);

    const [rita] = await app.query<{ name: string; company: string; events: number }>`
      SELECT name, company,
             (SELECT count(*)::int FROM domain_events
              WHERE type = 'contact.updated' AND payload->>'contactId' = ${ritaId}) AS events
      FROM contacts WHERE id = ${ritaId}`;
    expect(rita).toEqual({ name: "Rita Restricted", company: "Umbrella", events: 0 });
  });
});
