import { describe, expect, it } from "vitest";
import { expectAccessible, openPage, screenshot, signIn, E2E_DRIVERS, serverAndBrowser } from "./support/harness";

const DAY = 86_400_000;

describe.each(E2E_DRIVERS)("duplicates on %s", (driver) => {
  const artifacts = driver === "postgres";

  const run = serverAndBrowser({ driver });

  it("warns on create, finds pairs, previews and merges field by field, and undoes the merge", async () => {
    const owner = await run.app.signUp("Olive Owner");
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

    const { context, page, record } = await openPage(run.browser, run.app.url);
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

  it("a number written without its country code is recognised once the workspace's phone country is set", async () => {
    const owner = await run.app.signUp("Pia Phones");
    const { id: workspaceId } = await owner.client.workspaces.create.mutate({ name: "Phones E2E" });
    await owner.client.contacts.create.mutate({ workspaceId, name: "Jens Berlin", phone: "+49 30 1234567" });

    const { context, page, record } = await openPage(run.browser, run.app.url);
    await page.goto(`/w/${workspaceId}/members`);
    await signIn(page, owner.email, owner.password);
    const settings = page.getByRole("region", { name: "Workspace settings" });
    await settings.getByLabel("Phone numbers without a country code are from").selectOption({ label: "Germany (+49)" });
    await settings.getByRole("button", { name: "Save settings" }).click();
    await settings.getByText("Settings saved.").waitFor();
    await expectAccessible(page, `members page with the workspace settings (${driver})`);

    await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Contacts" }).click();
    await page.getByRole("button", { name: "Add contact" }).click();
    await page.getByRole("textbox", { name: "Name", exact: true }).fill("J. Berlin");
    await page.getByRole("textbox", { name: "Phone", exact: true }).fill("030 1234567");
    const warning = page.getByRole("status").filter({ hasText: "This may already be in your contacts." });
    await warning.getByRole("link", { name: "Jens Berlin" }).waitFor();

    expect(record.errors).toEqual([]);
    await context.close();
  });
});
