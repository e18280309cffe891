import { systemClock } from "@rapport/api";
import { createRapportClient } from "@rapport/client";
import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/app";

/** `pnpm start`'s embedded mode (PGlite, no Redis): the same analytics, cursor export and in-process cache. */
describe("analytics in embedded mode (PGlite, no Redis)", () => {
  let app: TestApp;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp({ driver: "pglite", clock: systemClock, env: { EVENT_POLL_MS: "20" } });
    url = app.url;
  });
  afterAll(async () => {
    await app?.close();
  });

  it("metrics, caching with invalidation, timeseries and a CSV export", async () => {
    const { accessToken } = await createRapportClient({ url }).auth.register.mutate({
      email: "an@lite.example",
      password: "embedded password",
      name: "Lite",
    });
    const client = createRapportClient({ url, token: accessToken });
    const { id: workspaceId } = await client.workspaces.create.mutate({ name: "Embedded analytics" });
    const ana = await client.contacts.create.mutate({ workspaceId, name: "Ana", email: "ana@lite.example" });
    await client.contacts.create.mutate({ workspaceId, name: "Ben" });
    await client.interactions.create.mutate({
      workspaceId,
      contactId: ana.id,
      type: "meeting",
      direction: "outbound",
      occurredAt: new Date(Date.now() - 3_600_000),
      subject: "Catch-up",
    });

    const first = await client.analytics.metrics.query({ workspaceId });
    expect(first).toMatchObject({
      contacts: 2,
      clv: { total: 50, average: 25 },
      engagement: { interactions30d: 1, contactedContacts: 1 },
      cached: false,
    });
    expect((await client.analytics.metrics.query({ workspaceId })).cached).toBe(true);
    await client.interactions.create.mutate({
      workspaceId,
      contactId: ana.id,
      type: "call",
      direction: "inbound",
      occurredAt: new Date(Date.now() - 60_000),
      subject: "Catch-up",
    });
    const second = await client.analytics.metrics.query({ workspaceId });
    expect(second.clv.total).toBe(75);

    const series = await client.analytics.timeseries.query({ workspaceId, timeZone: "Europe/Berlin" });
    expect(series.totals.total).toBe(2);

    const res = await fetch(`${url}/api/analytics/export?workspaceId=${workspaceId}&format=csv`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(res.status).toBe(200);
    const rows = Papa.parse<Record<string, string>>(await res.text(), { header: true, skipEmptyLines: true }).data;
    expect(rows.map((row) => [row.name, row.clv, row.interaction_count])).toEqual([
      ["Ana", "75.00", "2"],
      ["Ben", "0.00", "0"],
    ]);
  });
});
