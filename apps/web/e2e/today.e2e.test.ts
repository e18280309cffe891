/**
 * Today end to end, on Postgres and on the embedded PGlite: signing in with one
 * workspace lands on Today; the Reconnect list says why in words; a follow-up is
 * completed in one click and another created from the Reconnect list; a snooze takes
 * the suggestion away; an empty workspace's first-run checklist ticks itself off
 * from real data. axe-core runs on each page (no serious/critical violations).
 *
 * Screenshots (Postgres run): e2e-artifacts/today.png, reconnect.png, first-run.png.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { expectAccessible, openPage, screenshot, signIn, E2E_DRIVERS, serverAndBrowser } from "./support/harness";

const DAY = 86_400_000;

/** A toast left from an earlier step would cover part of a screenshot. */
async function dismissToast(page: Page) {
  const close = page.getByRole("button", { name: "Dismiss notification" });
  if (await close.count()) await close.click();
}

describe.each(E2E_DRIVERS)("Today on %s", (driver) => {
  const artifacts = driver === "postgres";

  const run = serverAndBrowser({ driver });

  it("lands on Today, says why to reconnect, completes and creates follow-ups, snoozes", async () => {
    const owner = await run.app.signUp("Olive Owner");
    const { id: workspaceId } = await owner.client.workspaces.create.mutate({ name: "Today E2E" });
    const person = async (name: string, company: string) =>
      (await owner.client.contacts.create.mutate({ workspaceId, name, company })).id;
    const ana = await person("Ana Lima", "Acme");
    const ben = await person("Ben Okafor", "Globex");
    const cy = await person("Cy Tanaka", "Initech");
    const now = Date.now();
    const meet = (contactId: string, daysAgo: number) =>
      owner.client.interactions.create.mutate({
        workspaceId,
        contactId,
        type: "meeting",
        direction: "outbound",
        occurredAt: new Date(now - daysAgo * DAY),
        subject: `Meeting ${daysAgo} days ago`,
      });
    // Ana: every 12 days until 31 days ago (going cold). Ben: every 12 days until 5 days ago (on rhythm).
    for (const age of [31, 43, 55, 67, 79, 91]) await meet(ana, age);
    // Cy: the same rhythm, but less valuable (fewer meetings): listed after Ana.
    for (const age of [31, 43, 55]) await meet(cy, age);
    for (const age of [5, 17, 29, 41]) await meet(ben, age);
    await owner.client.tasks.create.mutate({
      workspaceId,
      title: "Send Ana the proposal",
      contactId: ana,
      dueAt: new Date(now - DAY),
    });

    const { context, page, record } = await openPage(run.browser, run.app.url);
    await page.goto("/");
    await signIn(page, owner.email, owner.password);
    // One workspace: signing in opens its Today page, not the picker.
    await page.waitForURL(`**/w/${workspaceId}/today`);
    await page.getByTestId("today-ready").waitFor();
    await page.getByRole("heading", { level: 1, name: "Today" }).waitFor();

    const due = page.getByRole("list", { name: "Overdue and due today" });
    await due.getByText("Send Ana the proposal").waitFor();
    expect(await due.textContent()).toContain("overdue, was due yesterday");

    const reconnect = page.getByRole("list", { name: "Reconnect suggestions" });
    const anaEntry = reconnect.getByRole("listitem").filter({ has: page.getByRole("link", { name: "Ana Lima" }) });
    await anaEntry.waitFor();
    expect(await anaEntry.textContent()).toContain(
      "usually every 12 days, last contact 31 days ago; was healthy a month ago",
    );
    expect(await reconnect.getByRole("link", { name: "Ben Okafor" }).count()).toBe(0);
    await page.getByRole("img", { name: /^Relationship health of 3 contacts/ }).waitFor();
    await page.getByRole("list", { name: "Recent activity" }).waitFor();
    await expectAccessible(page, `Today (${driver})`);
    if (artifacts) console.log(`screenshot: ${await screenshot(page, "today")}`);

    // One click completes the follow-up.
    await due.getByRole("checkbox", { name: "Complete: Send Ana the proposal" }).click();
    await page.getByText("Nothing overdue or due today.").waitFor();
    await page.getByText("Done: Send Ana the proposal").waitFor();
    const done = await owner.client.tasks.list.query({ workspaceId, view: "done" });
    expect(done.items.map((task) => task.title)).toEqual(["Send Ana the proposal"]);

    // A follow-up from the Reconnect list: prefilled with the contact, for me.
    await anaEntry.getByRole("button", { name: "Create follow-up" }).click();
    const dialog = page.getByRole("dialog", { name: "New follow-up" });
    await dialog.waitFor();
    expect(await dialog.getByLabel("Title").inputValue()).toBe("Reconnect with Ana Lima");
    await expectAccessible(page, `follow-up dialog (${driver})`);
    await dialog.getByRole("button", { name: "Create follow-up" }).click();
    await dialog.waitFor({ state: "hidden" });
    const upcoming = await owner.client.tasks.list.query({ workspaceId, view: "upcoming", timeZone: "Europe/Berlin" });
    expect(upcoming.items).toMatchObject([{ title: "Reconnect with Ana Lima", contactId: ana, overdue: false }]);
    // Tomorrow at 9:00 in the browser's time zone (Europe/Berlin).
    const dueAt = upcoming.items[0]!.dueAt;
    expect(
      new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", minute: "2-digit" }).format(dueAt),
    ).toBe("09:00");

    // Log interaction, from the list: Cy is in touch again and leaves it.
    const cyEntry = reconnect.getByRole("listitem").filter({ has: page.getByRole("link", { name: "Cy Tanaka" }) });
    await cyEntry.getByRole("button", { name: "Log interaction" }).click();
    await cyEntry.getByLabel("Subject").fill("Catch-up call");
    await cyEntry.getByRole("button", { name: "Save interaction" }).click();
    await cyEntry.waitFor({ state: "detached" });
    const cyTimeline = await owner.client.interactions.listForContact.query({ workspaceId, contactId: cy });
    expect(cyTimeline.items[0]).toMatchObject({ subject: "Catch-up call" });

    // Snooze: a week, a month or until a date.
    await anaEntry.getByRole("button", { name: "Snooze" }).click();
    await page.getByRole("group", { name: "Snooze Ana Lima" }).waitFor();
    await dismissToast(page);
    const reconnectSection = page.getByRole("region", { name: "Reconnect" });
    await expectAccessible(page, `Reconnect with snooze choices (${driver})`);
    if (artifacts) console.log(`screenshot: ${await screenshot(page, "reconnect", reconnectSection)}`);
    await page.getByRole("button", { name: "1 week" }).click();
    await page.getByText(/No relationship is going cold/).waitFor();
    const settings = await owner.client.reconnect.get.query({ workspaceId, contactId: ana });
    expect(Math.round((settings.snoozedUntil!.getTime() - Date.now()) / DAY)).toBe(7);

    // The Follow-ups page lists the new one under Upcoming, and the completed one under Completed.
    await page
      .getByRole("navigation", { name: "Workspace sections" })
      .getByRole("link", { name: "Follow-ups" })
      .click();
    await page.getByRole("heading", { level: 1, name: "Follow-ups" }).waitFor();
    await page.getByRole("radio", { name: "Upcoming" }).check();
    await page.getByRole("list", { name: "Follow-ups" }).getByText("Reconnect with Ana Lima").waitFor();
    await page.getByRole("radio", { name: "Completed" }).check();
    await page.getByRole("list", { name: "Follow-ups" }).getByText("Send Ana the proposal").waitFor();
    await expectAccessible(page, `Follow-ups page (${driver})`);

    // At phone width Today fits the screen: nothing scrolls sideways.
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`/w/${workspaceId}/today`);
    await page.getByTestId("today-ready").waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await expectAccessible(page, `Today at 375 px (${driver})`);

    expect(record.errors).toEqual([]);
    await context.close();
  });

  it("an empty workspace's first-run checklist ticks itself off from real data", async () => {
    const owner = await run.app.signUp("Fiona First");
    const { id: workspaceId } = await owner.client.workspaces.create.mutate({ name: "First Run E2E" });
    const { context, page, record } = await openPage(run.browser, run.app.url);
    await page.goto("/");
    await signIn(page, owner.email, owner.password);
    await page.waitForURL(`**/w/${workspaceId}/today`);
    const checklist = page.getByRole("region", { name: "Get started" });
    await checklist.waitFor();
    await checklist.getByText("0 of 4 done").waitFor();

    // Add a contact by hand, from the checklist.
    await checklist.getByRole("link", { name: "Add a contact" }).click();
    await page.waitForURL(`**/w/${workspaceId}/contacts`);
    await page.getByRole("button", { name: "Add contact" }).click();
    await page.getByLabel("Name", { exact: true }).fill("Carla Diaz");
    await page.getByRole("button", { name: "Save contact" }).click();
    await page.getByRole("link", { name: "Carla Diaz" }).first().waitFor();

    // Invite a teammate (an owner can, through the API as through the Members page).
    await owner.client.invitations.invite.mutate({ workspaceId, email: "teammate@first-run.example" });

    await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Today" }).click();
    await checklist.getByText("2 of 4 done").waitFor();
    expect(await checklist.getByRole("listitem").filter({ hasText: "Add a contact by hand" }).textContent()).toContain(
      "(done)",
    );
    expect(await checklist.getByRole("listitem").filter({ hasText: "Invite a teammate" }).textContent()).toContain(
      "(done)",
    );
    expect(await checklist.getByRole("link", { name: "Import a CSV" }).count()).toBe(1);
    await dismissToast(page);
    await expectAccessible(page, `first-run checklist (${driver})`);
    if (artifacts) console.log(`screenshot: ${await screenshot(page, "first-run")}`);

    expect(record.errors).toEqual([]);
    await context.close();
  });
});
