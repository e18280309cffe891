/**
 * The analytics dashboard end to end: the real server (fresh database, own
 * Redis prefix) serving the built SPA, a workspace seeded with realistic data
 * (Zipf activity over 18 months), driven by Debian's Chromium.
 *
 * Saves e2e-artifacts/analytics-dashboard.png (desktop) and
 * analytics-dashboard-375px.png (phone width); runs axe-core on the page.
 */
import { readFileSync } from "node:fs";
import { seedWorkspace } from "@rapport/db/seed";
import Papa from "papaparse";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { SignedInUser } from "../../server/test/support/app";
import {
  expectAccessible,
  openPage,
  artifactName,
  screenshot,
  signIn,
  E2E_DRIVERS,
  serverAndBrowser,
} from "./support/harness";

async function dashboardReady(page: Page) {
  await page.locator('[data-analytics-state="ready"]').waitFor();
  await expect.poll(() => page.locator("main canvas").count()).toBe(3);
}

const kpi = (page: Page, label: string) => page.getByRole("group", { name: label });

describe.each(E2E_DRIVERS)("analytics dashboard on %s", (driver) => {
  let owner: SignedInUser;
  let workspaceId: string;
  const CONTACTS = 400;

  const run = serverAndBrowser({ driver });

  beforeAll(async () => {
    owner = await run.app.signUp("Dana Lead");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Northwind Sales" })).id;
    await seedWorkspace(run.app.runtime.database.db, {
      workspaceId,
      contacts: CONTACTS,
      interactions: 9_000,
      createdBy: owner.userId,
      seed: 7,
    });
  });

  it("shows KPIs, charts and the top contacts of a seeded workspace; sorts, exports, links; accessible; phone width", async () => {
    const { context, page, record } = await openPage(run.browser, run.app.url);
    await page.goto("/");
    await signIn(page, owner.email, owner.password);
    await page.goto(`/w/${workspaceId}/contacts`);
    await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Analytics" }).click();
    await page.waitForURL(/\/analytics$/);
    await page.getByRole("heading", { level: 1, name: "Analytics" }).waitFor();
    await dashboardReady(page);

    // The cards show what the API computes.
    const metrics = await owner.client.analytics.metrics.query({ workspaceId });
    expect(metrics.contacts).toBe(CONTACTS);
    const fmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
    await expect
      .poll(() => kpi(page, "Interactions (30 days)").textContent())
      .toContain(fmt.format(metrics.engagement.interactions30d));
    await expect
      .poll(() => kpi(page, "Active contacts (30 days)").textContent())
      .toContain(fmt.format(metrics.engagement.contactedContacts));
    expect(await kpi(page, "Average health").textContent()).toContain("/ 100");
    expect(await kpi(page, "Average CLV").textContent()).toMatch(/\$[\d,]+\.\d{2}/);
    expect(await kpi(page, "Average CLV").textContent()).toMatch(/vs the previous 30 days|no data/);

    // Charts have text alternatives and data tables.
    for (const name of [
      /^Doughnut chart of relationship health/,
      /^Line chart of interactions by type/,
      /^Bar chart of the CLV distribution/,
    ]) {
      await expect.poll(() => page.getByRole("img", { name }).count()).toBe(1);
    }
    const healthFigure = page.getByRole("figure", { name: "Relationship health" });
    expect(await healthFigure.textContent()).toContain(`Of ${fmt.format(CONTACTS)} contacts`);

    // Top contacts: by CLV first, then by interactions.
    const table = page.getByRole("table", { name: "Top contacts" });
    const firstName = () => table.locator("tbody tr").first().getByRole("link").textContent();
    expect(await firstName()).toBe(metrics.topContacts[0]!.name);
    await table.getByRole("button", { name: "Interactions" }).click();
    await page.waitForURL(/sort=interactions/);
    const byInteractions = await owner.client.analytics.topContacts.query({
      workspaceId,
      sortBy: "interactions",
      limit: 25,
    });
    await expect.poll(firstName).toBe(byInteractions.items[0]!.name);
    expect(await table.getByRole("columnheader", { name: "Interactions" }).getAttribute("aria-sort")).toBe(
      "descending",
    );
    expect(await table.locator("tbody tr").count()).toBe(25);

    await expectAccessible(page, "analytics dashboard");
    console.log(`screenshot: ${await screenshot(page, artifactName("analytics-dashboard", driver))}`);

    // Export CSV: a real download, parsed.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export CSV" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^rapport-analytics-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = Papa.parse<Record<string, string>>(readFileSync((await download.path())!, "utf8"), {
      header: true,
      skipEmptyLines: true,
    });
    expect(csv.errors).toEqual([]);
    expect(csv.data).toHaveLength(CONTACTS);
    expect(csv.data[0]).toMatchObject({
      id: byInteractions.items[0]!.id,
      interaction_count: String(byInteractions.items[0]!.interactionCount),
    });
    await page.getByText(/^Download started: rapport-analytics-/).waitFor();

    // Phone width: nothing scrolls sideways.
    await page.setViewportSize({ width: 375, height: 812 });
    await dashboardReady(page);
    // chart.js resizes its canvases on the next animation frames after the viewport changed.
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), {
        message: "page scrolls sideways at 375 px",
      })
      .toBeLessThanOrEqual(1);
    console.log(`screenshot: ${await screenshot(page, artifactName("analytics-dashboard-375px", driver))}`);
    await page.setViewportSize({ width: 1280, height: 800 });

    // A row links to its contact.
    const name = byInteractions.items[0]!.name;
    await table.getByRole("link", { name, exact: true }).first().click();
    await page.getByRole("heading", { level: 1, name }).waitFor();
    expect(page.url()).toContain(`/w/${workspaceId}/contacts/${byInteractions.items[0]!.id}`);

    expect(record.errors).toEqual([]);
    await context.close();
  });

  it("an as-of day in the past, and an empty workspace", async () => {
    const { context, page, record } = await openPage(run.browser, run.app.url);
    await page.goto("/");
    await signIn(page, owner.email, owner.password);
    await page.goto(`/w/${workspaceId}/analytics`);
    await dashboardReady(page);
    const day = new Date(Date.now() - 60 * 86_400_000);
    const value = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, "0")}-${String(day.getDate()).padStart(2, "0")}`;
    await page.getByLabel("As of").fill(value);
    await page.waitForURL(new RegExp(`asOf=${value}`));
    await page.getByText("(end of the chosen day)").waitFor();
    await dashboardReady(page);
    // The end of that day in the browser's time zone (Europe/Berlin), as the page shows it once the new figures are in.
    const shownAsOf = async () => new Date((await page.locator(".an-asof time").getAttribute("datetime"))!).getTime();
    await expect.poll(shownAsOf).toBeLessThan(Date.now() - 86_400_000);
    const asOf = new Date(await shownAsOf());
    expect(Math.abs(asOf.getTime() - day.getTime())).toBeLessThan(2 * 86_400_000);
    const past = await owner.client.analytics.metrics.query({ workspaceId, asOf });
    await expect
      .poll(() => kpi(page, "Interactions (30 days)").textContent())
      .toContain(new Intl.NumberFormat("en-US").format(past.engagement.interactions30d));
    await page.getByRole("button", { name: "Today" }).click();
    await page.waitForURL(/\/analytics$/);

    const empty = await owner.client.workspaces.create.mutate({ name: "Empty team" });
    await page.goto(`/w/${empty.id}/analytics`);
    await page.getByText("No contacts yet").waitFor();
    await expectAccessible(page, "analytics (empty workspace)");
    expect(record.errors).toEqual([]);
    await context.close();
  });
});
