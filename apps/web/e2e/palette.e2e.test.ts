/**
 * The command palette end to end, by keyboard only, on Postgres and on the embedded PGlite:
 * Ctrl-K opens it from any page, a typo finds the contact (search.suggest) and Enter opens
 * it; the contact is then among "Recent" (under the name the server has now, gone once deleted,
 * and never stored by name in the run.browser); "Add contact" opens the contacts page's form;
 * "Log interaction…" asks with whom and opens that contact's form; another workspace is
 * one "Switch to …" away; Escape closes it and gives focus back. The combobox's active
 * option is announced (aria-activedescendant → aria-selected), and axe-core finds no
 * serious or critical violation with the palette open.
 *
 * Screenshot (Postgres run): e2e-artifacts/palette.png.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { expectAccessible, openPage, screenshot, signIn, E2E_DRIVERS, serverAndBrowser } from "./support/harness";

async function openPalette(page: Page) {
  await page.keyboard.press("Control+k");
  const dialog = page.getByRole("dialog", { name: "Command palette" });
  await dialog.waitFor();
  const box = dialog.getByRole("combobox");
  await expect.poll(() => box.evaluate((element) => element === document.activeElement)).toBe(true);
  return { dialog, box };
}

/** The option the combobox points at (aria-activedescendant), which must be the selected one. */
async function activeOption(page: Page): Promise<string> {
  return page.evaluate(() => {
    const box = document.querySelector('dialog[open] [role="combobox"]');
    const option = document.getElementById(box?.getAttribute("aria-activedescendant") ?? "");
    if (option?.getAttribute("aria-selected") !== "true") return "(none)";
    return option.textContent ?? "";
  });
}

describe.each(E2E_DRIVERS)("command palette on %s", (driver) => {
  const run = serverAndBrowser({ driver });

  it("finds contacts, opens pages and runs actions from the keyboard", async () => {
    const owner = await run.app.signUp("Olive Owner");
    const { id: workspaceId } = await owner.client.workspaces.create.mutate({ name: "Palette E2E" });
    const { id: secondId } = await owner.client.workspaces.create.mutate({ name: "Second Office" });
    const contact = async (name: string, company: string) =>
      (await owner.client.contacts.create.mutate({ workspaceId, name, company })).id;
    const anna = await contact("Anna Jensen-Holt", "Acme");
    const hanna = await contact("Hanna Lindqvist", "Nordlys");
    await contact("Björn Jørgensen", "Fjord");

    const { context, page, record } = await openPage(run.browser, run.app.url);
    await page.goto(`/w/${workspaceId}/today`);
    // What an earlier version stored for another workspace: names, which must go.
    await page.evaluate(() =>
      localStorage.setItem(
        "rapport.recentContacts.someone.elsewhere",
        JSON.stringify([{ id: "00000000-0000-4000-8000-000000000009", name: "Legacy Name" }]),
      ),
    );
    await signIn(page, owner.email, owner.password);
    await page.getByRole("heading", { level: 1, name: "Today" }).waitFor();

    // The header's button is styled before the palette (and its own styles) ever loads: the
    // shortcut is a key cap set apart from "Search", not run into it ("SearchCtrl K").
    const shortcut = page.getByRole("button", { name: "Search" }).locator("kbd");
    expect(await shortcut.evaluate((kbd) => getComputedStyle(kbd).borderTopStyle)).toBe("solid");
    expect(
      await page.getByRole("button", { name: "Search" }).evaluate((button) => getComputedStyle(button).columnGap),
    ).not.toBe("normal");

    // A typo finds her; the combobox announces the active option.
    let { dialog, box } = await openPalette(page);
    expect(await box.getAttribute("aria-expanded")).toBe("true");
    await box.pressSequentially("jensan");
    const annaOption = dialog.getByRole("option", { name: /Anna Jensen-Holt/ });
    await annaOption.waitFor();
    expect(await dialog.getByRole("group", { name: "Contacts" }).getByRole("option").count()).toBe(1);
    expect(await activeOption(page)).toContain("Anna Jensen-Holt");
    await expectAccessible(page, `command palette (${driver})`);
    if (driver === "postgres") console.log(`screenshot: ${await screenshot(page, "palette")}`);
    await page.keyboard.press("Enter");
    await page.waitForURL(`**/w/${workspaceId}/contacts/${anna}`);
    await page.getByRole("heading", { level: 1, name: "Anna Jensen-Holt" }).waitFor();
    expect(await dialog.count()).toBe(0);

    // Opened once: she is among the recent items, before the actions and pages.
    ({ dialog, box } = await openPalette(page));
    const recent = dialog.getByRole("group", { name: "Recent" });
    await recent.getByRole("option", { name: "Anna Jensen-Holt" }).waitFor();
    // Arrows move through every option, wrapping around.
    await page.keyboard.press("ArrowUp");
    expect(await activeOption(page)).toContain("Switch to Second Office");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    expect(await activeOption(page)).toBe(await dialog.getByRole("option").nth(1).textContent());

    // "Add contact": the contacts page with its form open.
    await box.fill("");
    await box.pressSequentially("add con");
    await expect.poll(() => activeOption(page)).toBe("Add contact");
    await page.keyboard.press("Enter");
    await page.waitForURL(`**/w/${workspaceId}/contacts`);
    await page.getByRole("heading", { level: 2, name: "Add contact" }).waitFor();
    await page.getByRole("textbox", { name: "Name", exact: true }).waitFor();

    // "Log interaction…" asks with whom, then opens that contact's form.
    ({ dialog, box } = await openPalette(page));
    await box.pressSequentially("log inter");
    await expect.poll(() => activeOption(page)).toBe("Log interaction…");
    await page.keyboard.press("Enter");
    await dialog.getByText("Log an interaction with…").waitFor();
    expect(await dialog.getByRole("group", { name: "Pages" }).count()).toBe(0);
    await box.pressSequentially("hanna");
    await dialog.getByRole("option", { name: /Hanna Lindqvist/ }).waitFor();
    await expect.poll(() => activeOption(page)).toContain("Hanna Lindqvist");
    await page.keyboard.press("Enter");
    await page.waitForURL(`**/w/${workspaceId}/contacts/${hanna}`);
    await page.getByRole("form", { name: "Log interaction" }).waitFor();

    // Pages by name, and Escape closes, giving focus back.
    await page.getByLabel("Subject").focus();
    ({ dialog, box } = await openPalette(page));
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe("subject");

    ({ dialog, box } = await openPalette(page));
    await box.pressSequentially("members");
    await expect.poll(() => activeOption(page)).toBe("Members");
    await page.keyboard.press("Enter");
    await page.waitForURL(`**/w/${workspaceId}/members`);

    // "Recent" names contacts as the server does now: renamed elsewhere, she shows under her
    // new name; deleted, he is gone (and forgotten). The browser keeps their ids, not names.
    await owner.client.contacts.update.mutate({ workspaceId, contactId: anna, patch: { name: "Anna Holt" } });
    await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [hanna] });
    ({ dialog, box } = await openPalette(page));
    const renamed = dialog.getByRole("group", { name: "Recent" });
    await renamed.getByRole("option", { name: "Anna Holt" }).waitFor();
    await expect.poll(() => renamed.getByRole("option").allTextContents()).toEqual(["Anna Holt"]);
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    expect(stored).toContain(anna);
    expect(stored).not.toContain(hanna);
    for (const name of ["Anna", "Hanna", "Legacy Name"]) expect(stored).not.toContain(name);
    expect(stored).toContain("00000000-0000-4000-8000-000000000009");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });

    // Another workspace.
    ({ dialog, box } = await openPalette(page));
    await box.pressSequentially("second");
    await expect.poll(() => activeOption(page)).toBe("Switch to Second Office");
    await page.keyboard.press("Enter");
    await page.waitForURL(`**/w/${secondId}/today`);

    // The header's button opens the same palette.
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("dialog", { name: "Command palette" }).waitFor();
    await page.keyboard.press("Escape");

    expect(record.errors).toEqual([]);
    await context.close();
  });
});
