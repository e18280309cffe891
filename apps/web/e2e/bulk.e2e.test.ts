/**
 * Acting on every contact the list's filters select, in Chromium: a workspace with more
 * matching contacts than a list page loads, filtered by employer, tagged in one action
 * (a job with a progress bar), then all of them deleted (the confirmation naming the server's
 * exact count) and brought back by the toast's Undo; a search-box narrowing deleted and
 * restored all at once from Recently deleted; contacts outside the filter stay.
 * Runs axe-core on the list with the bulk panel open.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { SignedInUser } from "../../server/test/support/app";
import { expectAccessible, openPage, signIn, E2E_DRIVERS, serverAndBrowser } from "./support/harness";

describe.each(E2E_DRIVERS)("bulk operations on the filtered list on %s", (driver) => {
  let owner: SignedInUser;
  let workspaceId: string;
  const ACME = 1_100;

  const run = serverAndBrowser({ driver });

  beforeAll(async () => {
    owner = await run.app.signUp("Bo Bulk");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Bulk Co" })).id;
    for (let start = 0; start < ACME; start += 1_000) {
      const size = Math.min(1_000, ACME - start);
      await owner.client.contacts.bulkCreate.mutate({
        workspaceId,
        contacts: Array.from({ length: size }, (_, i) => ({ name: `Acme ${start + i}`, company: "Acme" })),
      });
    }
    await owner.client.contacts.create.mutate({ workspaceId, name: "Gina Globex", company: "Globex" });
  });

  describe("in the browser", () => {
    it("tags and deletes all matching contacts, not only the loaded rows", async () => {
      const { context, page, record } = await openPage(run.browser, run.app.url);
      await page.goto("/");
      await signIn(page, owner.email, owner.password);
      await page.goto(`/w/${workspaceId}/contacts`);
      await page.getByLabel("Employer").fill("Acme");
      const summary = page.getByText(`Act on all ${ACME.toLocaleString("en-US")} matching`);
      await summary.click();
      await page.getByLabel("Tag", { exact: true }).fill("fair");
      await page.getByRole("button", { name: `Add tag to all ${ACME.toLocaleString("en-US")}` }).click();
      await page.getByText(`Tagged ${ACME.toLocaleString("en-US")} contacts.`).waitFor({ timeout: 30_000 });
      expect((await owner.client.contacts.count.query({ workspaceId, tag: "fair" })).count).toBe(ACME);
      await expectAccessible(page, "contacts list with the bulk panel");

      // The filtered list as a file, with the chosen columns, past the rows loaded on screen.
      await page.getByLabel("Email", { exact: true }).uncheck();
      await page.getByLabel("Phone", { exact: true }).uncheck();
      const download = page.waitForEvent("download");
      await page.getByRole("button", { name: "Export CSV" }).click();
      const file = readFileSync((await (await download).path())!, "utf8")
        .trim()
        .split("\r\n");
      expect(file[0]).toBe("name,company,title,tags");
      expect(file).toHaveLength(ACME + 1);

      await page.getByRole("button", { name: `Delete all ${ACME.toLocaleString("en-US")}…` }).click();
      // The confirmation names the server's exact count.
      await page.getByRole("button", { name: `Confirm: delete ${ACME.toLocaleString("en-US")} contacts` }).click();
      await page.getByText(`Deleted ${ACME.toLocaleString("en-US")} contacts.`).waitFor({ timeout: 30_000 });
      expect((await owner.client.contacts.count.query({ workspaceId })).count).toBe(1);
      expect((await owner.client.contacts.count.query({ workspaceId, deleted: true })).count).toBe(ACME);

      // Undo in the toast brings back exactly those (a job too: more than run in the request).
      await page.getByRole("button", { name: "Undo" }).click();
      await page.getByText(`Restored ${ACME.toLocaleString("en-US")} contacts.`).waitFor({ timeout: 30_000 });
      expect((await owner.client.contacts.count.query({ workspaceId })).count).toBe(ACME + 1);
      expect((await owner.client.contacts.count.query({ workspaceId, deleted: true })).count).toBe(0);

      // The search box narrows the same list, with the employer filter: word prefixes anywhere
      // in the name ("Acme 10", "Acme 100"…"Acme 109", "Acme 1000"…"Acme 1099").
      await page.getByRole("searchbox", { name: "Search contacts" }).fill("10");
      await page.getByText("Act on all 111 matching").click();
      await page.getByRole("button", { name: "Delete all 111…" }).click();
      await page.getByRole("button", { name: "Confirm: delete 111 contacts" }).click();
      await page.getByText("Deleted 111 contacts.").waitFor({ timeout: 30_000 });
      expect((await owner.client.contacts.count.query({ workspaceId, deleted: true })).count).toBe(111);

      // Recently deleted restores them all at once.
      await page.getByRole("link", { name: "Recently deleted" }).click();
      await page.getByRole("button", { name: "Restore all 111…" }).click();
      await page.getByRole("button", { name: "Confirm: restore 111 contacts" }).click();
      await page.getByText("Restored 111 contacts.").waitFor({ timeout: 30_000 });
      expect((await owner.client.contacts.count.query({ workspaceId })).count).toBe(ACME + 1);
      expect(record.errors).toEqual([]);
      await context.close();
    });
  });
});
