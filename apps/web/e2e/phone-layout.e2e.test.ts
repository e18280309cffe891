/**
 * The dashboard at phone width (375 × 812, an iPhone's CSS viewport), on the real
 * server serving the built SPA, in Debian's Chromium: the top bar is one short row
 * (brand, the whole workspace name, "Menu"), the menu opens the sections and the
 * user's links, nothing makes the page scroll sideways, and axe finds no serious
 * or critical violations either way.
 *
 * Screenshots: e2e-artifacts/header-375.png (collapsed), header-375-open.png (menu open) and
 * table-scroll-375.png (a wide table scrolling inside its box).
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  expectAccessible,
  openPage,
  artifactName,
  screenshot,
  signIn,
  E2E_DRIVERS,
  serverAndBrowser,
} from "./support/harness";

const PHONE = { width: 375, height: 812 };

/** How far the page scrolls sideways (0 when nothing overflows the viewport). */
function horizontalOverflow(page: Page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe.each(E2E_DRIVERS)("phone layout (375 px) on %s", (driver) => {
  const run = serverAndBrowser({ driver });

  it("collapses the top bar to brand, workspace and Menu; the menu opens the sections and closes on navigation", async () => {
    const owner = await run.app.signUp("Olive Owner");
    const name = "Northwind Traders Europe";
    const workspace = await owner.client.workspaces.create.mutate({ name });
    for (const [contact, company] of [
      ["Ana Ruiz", "Acme Corporation International"],
      ["Ben Ortiz", "Globex"],
      ["Carla Diaz-Fernández de la Vega", "Initech"],
    ] as const) {
      await owner.client.contacts.create.mutate({
        workspaceId: workspace.id,
        name: contact,
        company,
        email: `${contact.split(" ")[0]!.toLowerCase()}@example.com`,
      });
    }

    const { context, page, record } = await openPage(run.browser, run.app.url, PHONE);
    await page.goto(`/w/${workspace.id}/contacts`);
    await signIn(page, owner.email, owner.password);
    await page.getByRole("heading", { level: 1, name: "Contacts" }).waitFor();
    await page.getByRole("link", { name: "Carla Diaz-Fernández de la Vega" }).first().waitFor();

    const header = page.getByRole("banner");
    const menuButton = header.getByRole("button", { name: "Menu" });
    const nav = page.getByRole("navigation", { name: "Workspace sections" });

    // Collapsed: one short row; the sections and the user's links wait behind "Menu".
    expect(await menuButton.getAttribute("aria-expanded")).toBe("false");
    expect(await nav.isVisible()).toBe(false);
    expect(await header.getByRole("button", { name: "Sign out" }).isVisible()).toBe(false);
    const headerBox = (await header.boundingBox())!;
    expect(headerBox.height).toBeLessThan(PHONE.height * 0.1);

    // The workspace name is all there: not cut, not ellipsized, inside the viewport.
    const switcherName = header.locator(".switcher-name");
    expect(await switcherName.textContent()).toBe(name);
    const fits = await switcherName.evaluate((element) => element.scrollWidth <= element.clientWidth);
    expect(fits).toBe(true);
    const nameBox = (await switcherName.boundingBox())!;
    expect(nameBox.x).toBeGreaterThanOrEqual(0);
    expect(nameBox.x + nameBox.width).toBeLessThanOrEqual(PHONE.width);
    const buttonBox = (await menuButton.boundingBox())!;
    expect(buttonBox.x + buttonBox.width).toBeLessThanOrEqual(PHONE.width);

    expect(await horizontalOverflow(page)).toBe(0);
    await expectAccessible(page, "contacts list at 375 px, menu closed");
    console.log(`screenshot: ${await screenshot(page, artifactName("header-375", driver))}`);

    // Open: the sections (operators' ones under Admin) and the user's links.
    await menuButton.click();
    expect(await menuButton.getAttribute("aria-expanded")).toBe("true");
    await nav.waitFor();
    for (const section of ["Contacts", "Activity", "Analytics", "Members", "Integrations", "Cache"])
      expect(await nav.getByRole("link", { name: section, exact: true }).isVisible()).toBe(true);
    expect(await nav.getByRole("list", { name: "Admin" }).getByRole("link", { name: "Cache" }).isVisible()).toBe(true);
    expect(await header.getByRole("button", { name: "Sign out" }).isVisible()).toBe(true);
    expect(await header.getByRole("link", { name: "My privacy" }).isVisible()).toBe(true);
    expect(await horizontalOverflow(page)).toBe(0);
    await expectAccessible(page, "contacts list at 375 px, menu open");
    console.log(`screenshot: ${await screenshot(page, artifactName("header-375-open", driver))}`);

    // Escape closes it and returns focus to the button.
    await page.keyboard.press("Escape");
    expect(await menuButton.getAttribute("aria-expanded")).toBe("false");
    expect(await menuButton.evaluate((element) => element === document.activeElement)).toBe(true);

    // Keyboard: open it, go to Members; the menu closes on the new page.
    await page.keyboard.press("Enter");
    await nav.getByRole("link", { name: "Members" }).click();
    await page.getByRole("heading", { level: 1, name: "Members" }).waitFor();
    await expect.poll(() => menuButton.getAttribute("aria-expanded")).toBe("false");
    expect(await nav.isVisible()).toBe(false);
    expect(await horizontalOverflow(page)).toBe(0);

    // A wide table (the audit log) scrolls inside its box, and says so; the page itself does not.
    await menuButton.click();
    await nav.getByRole("link", { name: "Audit" }).click();
    await page.getByRole("heading", { level: 1, name: "Audit log" }).waitFor();
    const scroller = page.locator(".table-scroll").first();
    await scroller.locator("tbody tr").first().waitFor();
    expect(await horizontalOverflow(page)).toBe(0);
    await expect.poll(() => scroller.getAttribute("data-more-right")).toBe("true");
    expect(await scroller.getAttribute("data-more-left")).toBeNull();
    expect(await page.getByText("Scroll for more →").isVisible()).toBe(true);
    console.log(`screenshot: ${await screenshot(page, artifactName("table-scroll-375", driver))}`);
    await scroller.locator(".table-wrap").evaluate((element) => element.scrollBy({ left: 10_000 }));
    await expect.poll(() => scroller.getAttribute("data-more-left")).toBe("true");
    await expect.poll(() => scroller.getAttribute("data-more-right")).toBeNull();
    expect(await horizontalOverflow(page)).toBe(0);
    await expectAccessible(page, "audit log at 375 px");

    expect(record.errors).toEqual([]);
    await context.close();
  });
});
