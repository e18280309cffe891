/**
 * Saved views in Chromium (on Postgres and on the embedded PGlite): the contacts list filtered by employer and sorted by name is saved
 * as a shared view; after clearing the filters, applying the view brings back the filters,
 * the sort and the export's columns, in the list and in its address. Runs axe-core on the
 * list with the Views menu open.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SignedInUser, TestApp, TestDriver } from "../../server/test/support/app";
import { expectAccessible, launchBrowser, openPage, signIn, startServer } from "./support/harness";

const drivers: TestDriver[] = ["postgres", "pglite"];

describe.each(drivers)("saved views of the contacts list on %s", (driver) => {
  let app: TestApp;
  let browser: Browser;
  let owner: SignedInUser;
  let workspaceId: string;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startServer({ driver }), launchBrowser()]);
    owner = await app.signUp("Vi Views");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Views Co" })).id;
    await owner.client.contacts.bulkCreate.mutate({
      workspaceId,
      contacts: [
        { name: "Zoe Acme", company: "Acme" },
        { name: "Abe Acme", company: "Acme" },
        { name: "Gina Globex", company: "Globex" },
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  describe("in the browser", () => {
    it("saves the current filters, sort and columns as a shared view and applies it again", async () => {
      const { context, page, record } = await openPage(browser, app.url);
      await page.goto("/");
      await signIn(page, owner.email, owner.password);
      await page.goto(`/w/${workspaceId}/contacts`);
      await page.getByLabel("Employer").fill("Acme");
      await page.getByLabel("Sort by").selectOption("name");
      await page.getByText("Gina Globex").waitFor({ state: "detached" });
      await page.getByText("Act on all 2 matching").click();
      await page.getByLabel("Phone", { exact: true }).uncheck();

      await page.getByText("Views", { exact: true }).click();
      await page.getByRole("button", { name: "Save current view…" }).click();
      await page.getByLabel("View name").fill("Acme people");
      await page.getByRole("checkbox", { name: "Share with the workspace" }).check();
      await page.getByRole("button", { name: "Save view" }).click();
      await page.getByText("Saved the view “Acme people”.").waitFor();
      await expectAccessible(page, "contacts list with the Views menu");
      const [saved] = await owner.client.views.list.query({ workspaceId });
      expect(saved).toMatchObject({
        name: "Acme people",
        shared: true,
        filters: { company: "Acme" },
        sort: "name",
        columns: ["name", "email", "company", "title", "tags"],
      });

      await page.goto(`/w/${workspaceId}/contacts`);
      await page.getByText("Gina Globex").first().waitFor();
      await page.getByText("Views", { exact: true }).click();
      await page
        .getByRole("list", { name: "Saved views" })
        .getByRole("button", { name: "Acme people", exact: true })
        .click();
      await page.waitForURL(/company=Acme/);
      const params = new URL(page.url()).searchParams;
      expect(params.get("sort")).toBe("name");
      expect(params.get("cols")).toBe("name,email,company,title,tags");
      await expect(page.getByLabel("Employer").inputValue()).resolves.toBe("Acme");
      await page.getByText("Gina Globex").waitFor({ state: "detached" });

      // The search box combines with the view's filters: the count, the bulk panel and the
      // rows are the same set.
      await page.getByRole("searchbox", { name: "Search contacts" }).fill("zoe");
      await page.getByText("Act on all 1 matching").waitFor();
      await page.getByText("Abe Acme").waitFor({ state: "detached" });
      await page.getByText("Zoe Acme").first().waitFor();
      expect(record.errors).toEqual([]);
      await context.close();
    });
  });
});
