import { beforeAll, describe, expect, it } from "vitest";
import type { SignedInUser } from "../../server/test/support/app";
import { expectAccessible, openPage, screenshot, signIn, E2E_DRIVERS, serverAndBrowser } from "./support/harness";

describe.each(E2E_DRIVERS)("contact import on %s", (driver) => {
  let owner: SignedInUser;
  let workspaceId: string;

  const FILE = [
    "Full Name,E-mail,Employer,Labels,Notes",
    'Ana Lima,ana@import-e2e.example,Acme,"vip, lead",met at the fair',
    "Ben Okafor,not-an-email,Acme,,",
    "Cara Diaz,cara@import-e2e.example,Globex,partner,",
    ",dan@import-e2e.example,,,no name",
  ].join("\n");

  const run = serverAndBrowser({ driver });

  beforeAll(async () => {
    owner = await run.app.signUp("Ida Importer");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Import Co" })).id;
    await owner.client.contacts.create.mutate({ workspaceId, name: "Cara Dias", company: "Globex" });
  });

  describe("in the browser", () => {
    it("maps columns, previews the first rows with their problems, imports and reports", async () => {
      const { context, page, record } = await openPage(run.browser, run.app.url);
      await page.goto("/");
      await signIn(page, owner.email, owner.password);
      await page.goto(`/w/${workspaceId}/contacts`);
      await page.getByRole("button", { name: "Import", exact: true }).click();
      await page
        .getByLabel("File")
        .setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(FILE) });

      const mapping = page.getByRole("region", { name: "Column mapping and first rows" });
      await mapping.waitFor();
      const field = (header: string) => page.getByLabel(`Field for column ${header}`);
      // Guessed from the headers; "Employer" is guessed as Company, "Notes" is ignored.
      expect(await field("Full Name").inputValue()).toBe("name");
      expect(await field("E-mail").inputValue()).toBe("email");
      expect(await field("Employer").inputValue()).toBe("company");
      expect(await field("Labels").inputValue()).toBe("tags");
      expect(await field("Notes").inputValue()).toBe("");
      // Each bad cell says what is wrong with it.
      await expect.poll(() => mapping.getByText("must be a valid email address").count()).toBe(1);
      await expect.poll(() => mapping.getByText("must not be empty").count()).toBe(1);
      // Cara Diaz at Globex looks like the workspace's Cara Dias at Globex.
      await expect.poll(() => mapping.getByRole("link", { name: "Cara Dias at Globex" }).count()).toBe(1);

      // Mapping a second column to Email frees the first: one column per field.
      await field("Notes").selectOption("email");
      expect(await field("E-mail").inputValue()).toBe("");
      await field("E-mail").selectOption("email");
      expect(await field("Notes").inputValue()).toBe("");

      await page.getByLabel("Save this mapping as").fill("Fair leads");
      await page.getByRole("button", { name: "Save mapping" }).click();
      await expect.poll(async () => (await owner.client.imports.templates.query({ workspaceId })).length).toBe(1);

      const dismiss = page.getByRole("button", { name: "Dismiss notification" });
      if (await dismiss.isVisible()) await dismiss.click();
      await expectAccessible(page, "import mapping");
      if (driver === "postgres") await screenshot(page, "import-mapping", page.locator("section.ct-panel"));

      await page.getByRole("button", { name: "Import", exact: true }).last().click();
      const progress = page.getByRole("progressbar", { name: "Import progress" });
      await progress.waitFor();
      await page
        .getByText("Import finished: 2 created, 0 updated, 0 unchanged, 2 skipped.")
        .waitFor({ timeout: 30_000 });
      expect(await progress.getAttribute("aria-valuenow")).toBe("100");
      await page.getByText("1 imported row(s) look like existing contacts").waitFor();
      const report = page.getByRole("region", { name: "Report" });
      expect(await report.getByRole("row").count()).toBe(4);
      expect(await report.getByText("Imported, possible duplicate").count()).toBe(1);
      await expectAccessible(page, "import result");

      const download = page.waitForEvent("download");
      await page.getByRole("button", { name: "Download the report (CSV)" }).click();
      expect((await download).suggestedFilename()).toMatch(/^import-report-.*\.csv$/);

      const contacts = await owner.client.contacts.list.query({ workspaceId, sort: "name" });
      expect(contacts.items.map((c) => [c.name, c.tags])).toEqual([
        ["Ana Lima", ["lead", "vip"]],
        ["Cara Dias", []],
        ["Cara Diaz", ["partner"]],
      ]);
      expect(record.errors).toEqual([]);
      await context.close();
    });
  });
});
