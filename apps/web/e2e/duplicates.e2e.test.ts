/**
 * Duplicates end to end, on Postgres and on the embedded PGlite: the contact form warns about
 * a likely duplicate ("create anyway"); the Duplicates page finds pairs with a progress bar,
 * previews a merge field by field, merges (the survivor's timeline has both contacts'
 * interactions) and undoes it from the toast (both contacts back as they were). axe-core runs
 * on each state (no serious/critical violations).
 *
 * Screenshot (Postgres run): e2e-artifacts/merge-preview.png.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp, TestDriver } from "../../server/test/support/app";
import { expectAccessible, launchBrowser, openPage, screenshot, signIn, startServer } from "./support/harness";

const DAY = 86_400_000;
const drivers: TestDriver[] = ["postgres", "pglite"];

describe.each(drivers)("duplicates on %s", (driver) => {
  let app: TestApp;
  let browser: Browser;
  const artifacts = driver === "postgres";

  beforeAll(async () => {
    [app, browser] = await Promise.all([startServer({ driver }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it("warns on create, finds pairs, previews and merges field by field, and undoes the merge", async () => {
    const owner = await app.signUp("Olive Owner");
    const { id: workspaceId } = await owner.client.workspaces.create.mutate({ name: "Duplicates E2E" });
    const ana = await owner.client.contacts.create.mutate({
      workspaceId,
      name: "Ana Lima",
      email: "ana.lima@gmail.com",
      company: "Acme",
      phone: "+1 415 555 2671",
      tags: ["vip"],
    });
    const anna = await owner.client.contacts.create.mutate({
      workspaceId,
      name: "Anna Lima",
      email: "analima+work@googlemail.com",
      company: "ACME Inc.",
      title: "CTO",
      tags: ["lead"],
    });
    for (const [contactId, subject, daysAgo] of [
      [ana.id, "Kick-off", 20],
      [anna.id, "Contract review", 10],
    ] as const) {
      await owner.client.interactions.create.mutate({
        workspaceId,
        contactId,
        type: "meeting",
        direction: "outbound",
        occurredAt: new Date(Date.now() - daysAgo * DAY),
        subject,
      });
    }

    const { context, page, record } = await openPage(browser, app.url);
    await page.goto(`/w/${workspaceId}/contacts`);
    await signIn(page, owner.email, owner.password);

    // The form: a likely duplicate is named before anything is created.
    await page.getByRole("button", { name: "Add contact" }).click();
    await page.getByRole("textbox", { name: "Name", exact: true }).fill("Ana Lima");
    await page.getByRole("textbox", { name: "Email", exact: true }).fill("a.n.a.lima@gmail.com");
    const warning = page.getByText("This may already be in your contacts.");
    await warning.waitFor();
    await page.getByRole("link", { name: "Ana Lima at Acme" }).waitFor();
    await page.getByRole("button", { name: "Create anyway" }).waitFor();
    await expectAccessible(page, `contact form with a duplicate warning (${driver})`);
    await page.getByRole("button", { name: "Cancel" }).click();

    // The Duplicates page: a scan with progress, then the pair with its score and reasons.
    await page.getByRole("link", { name: "Duplicates" }).click();
    await page.getByRole("heading", { level: 1, name: "Duplicates" }).waitFor();
    await page.getByText("No likely duplicates.").waitFor();
    await page.getByRole("button", { name: "Find duplicates" }).click();
    const pair = page
      .getByRole("listitem")
      .filter({ has: page.getByRole("heading", { name: /Ana Lima and Anna Lima|Anna Lima and Ana Lima/ }) });
    await pair.waitFor();
    await pair.getByText("Same mailbox").waitFor();
    await pair.getByText(/Similar name at the same company/).waitFor();
    await expectAccessible(page, `Duplicates (${driver})`);

    // Preview: keep Ana, take Anna's name; the table shows each field's kept value.
    await pair.getByRole("button", { name: "Merge…" }).click();
    const preview = page.getByRole("region", { name: "Merge preview" });
    await preview.getByRole("group", { name: "Contact to keep" }).getByRole("radio", { name: "Ana Lima" }).check();
    const nameRow = preview.getByRole("row", { name: /^Name/ });
    await nameRow.getByRole("radio", { name: "Anna Lima" }).check();
    await expect.poll(async () => nameRow.locator("td.dp-chosen").textContent()).toBe("Anna Lima");
    expect(
      await preview
        .getByRole("row", { name: /^Title/ })
        .locator("td.dp-chosen")
        .textContent(),
    ).toBe("CTO");
    expect(await preview.getByRole("row", { name: /^Tags/ }).textContent()).toContain("lead, vip");
    await preview.getByText(/1 interaction, .* move to Ana Lima/).waitFor();
    await expectAccessible(page, `merge preview (${driver})`);
    if (artifacts) console.log(`screenshot: ${await screenshot(page, "merge-preview", pair)}`);

    await preview.getByRole("button", { name: "Merge into Ana Lima" }).click();
    await page.getByText("Merged Anna Lima into Ana Lima.").waitFor();
    await page.getByText("No likely duplicates.").waitFor();
    const merges = page.getByRole("region", { name: "Recent merges" });
    await merges.getByText("Anna Lima merged into Anna Lima").waitFor();
    await expectAccessible(page, `after the merge (${driver})`);
    const survivor = await owner.client.contacts.get.query({ workspaceId, contactId: ana.id });
    expect(survivor).toMatchObject({ name: "Anna Lima", title: "CTO", tags: ["lead", "vip"] });
    const timeline = await owner.client.interactions.listForContact.query({ workspaceId, contactId: ana.id });
    expect(timeline.items.map((item) => item.subject).sort()).toEqual(["Contract review", "Kick-off"]);

    // Undo from the toast: both contacts are back as they were.
    await page.getByRole("button", { name: "Undo" }).first().click();
    await page.getByText("Merge undone.").waitFor();
    await merges.waitFor({ state: "detached" });
    // The pair is proposed again, as before the merge.
    await pair.waitFor();
    expect(await owner.client.contacts.get.query({ workspaceId, contactId: ana.id })).toMatchObject({
      name: "Ana Lima",
      title: null,
      tags: ["vip"],
    });
    expect(await owner.client.contacts.get.query({ workspaceId, contactId: anna.id })).toMatchObject({
      name: "Anna Lima",
      email: "analima+work@googlemail.com",
      tags: ["lead"],
    });
    const annaTimeline = await owner.client.interactions.listForContact.query({ workspaceId, contactId: anna.id });
    expect(annaTimeline.items.map((item) => item.subject)).toEqual(["Contract review"]);
    await expectAccessible(page, `after the undo (${driver})`);

    expect(record.errors).toEqual([]);
    await context.close();
  });
});
