/**
 * Dashboard SPA end to end: the real server in this process (fresh database,
 * own Redis prefix) serving the built SPA, driven by Debian's Chromium.
 *
 * Screenshots go to e2e-artifacts/ at the repo root (git-ignored); axe-core
 * runs on the sign-in page, the contacts list and a contact page and fails the
 * test on serious or critical violations (printing them).
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { errorOf } from "../../server/test/support/app";
import {
  expectAccessible,
  openPage,
  artifactName,
  screenshot,
  signIn,
  E2E_DRIVERS,
  serverAndBrowser,
} from "./support/harness";
import { joinWorkspace } from "../../server/test/support/members";

const PASSWORD = "correct horse battery staple";

/** Closes the toast, if one is showing, so screenshots show the page itself. */
async function dismissToast(page: Page) {
  const dismiss = page.getByRole("button", { name: "Dismiss notification" });
  if (await dismiss.isVisible()) await dismiss.click();
  await expect.poll(() => dismiss.count()).toBe(0);
}

function contactRow(page: Page, name: string) {
  // A row of the contacts list: its selection checkbox is labelled "Select <name>".
  return page.getByRole("checkbox", { name: `Select ${name}`, exact: true });
}

describe.each(E2E_DRIVERS)("dashboard on %s", (driver) => {
  const run = serverAndBrowser({ driver });

  it("the sign-in page has no serious or critical accessibility violations", async () => {
    const { context, page, record } = await openPage(run.browser, run.app.url);
    await page.goto("/");
    await page.getByRole("heading", { name: "Sign in to Rapport" }).waitFor();
    await expectAccessible(page, "sign-in page");
    await page.getByRole("button", { name: "Create an account" }).click();
    await page.getByRole("heading", { name: "Create your Rapport account" }).waitFor();
    await expectAccessible(page, "register page");
    console.log(`screenshot: ${await screenshot(page, artifactName("sign-in", driver))}`);
    expect(record.errors).toEqual([]);
    await context.close();
  });

  it("register → workspace → add contact (validation first) → log interaction → delete + undo → sign out → sign in and find it", async () => {
    const { context, page, record } = await openPage(run.browser, run.app.url);
    const email = `e2e.${Date.now()}@example.com`;
    const name = "Grace Hopper";

    // Register.
    await page.goto("/");
    await page.getByRole("button", { name: "Create an account" }).click();
    await page.getByRole("heading", { name: "Create your Rapport account" }).waitFor();
    await page.getByLabel("Name").fill("Erin E2E");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();

    // Create a workspace; it opens on Today, where the first-run checklist leads to the contacts list.
    const main = page.getByRole("main");
    await main.getByLabel("Workspace name").fill("E2E Sales");
    await main.getByRole("button", { name: "Create workspace" }).click();
    await page.waitForURL(/\/w\/[0-9a-f-]{36}\/today$/);
    const workspaceId = /\/w\/([0-9a-f-]{36})\//.exec(page.url())![1]!;
    await main.getByRole("region", { name: "Get started" }).getByRole("link", { name: "Add a contact" }).click();
    await page.waitForURL(`**/w/${workspaceId}/contacts`);

    // Add a contact: the validation error (the server's schema, checked in the run.browser) shows on the field first.
    await page.getByRole("button", { name: "Add contact" }).click();
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Email", { exact: true }).fill("grace@invalid");
    await page.getByRole("button", { name: "Save contact" }).click();
    const emailField = page.getByLabel("Email", { exact: true });
    await expect.poll(() => emailField.getAttribute("aria-invalid")).toBe("true");
    const emailError = await emailField.evaluate((input) =>
      (input.getAttribute("aria-describedby") ?? "")
        .split(/\s+/)
        .map((id) => document.getElementById(id)?.textContent ?? "")
        .join(" "),
    );
    expect(emailError).toMatch(/valid email/i);

    await emailField.fill("grace.hopper@example.com");
    await page.getByLabel("Company", { exact: true }).fill("Navy");
    await page.getByLabel("Title", { exact: true }).fill("Rear Admiral");
    await page.getByLabel("Tags", { exact: true }).fill("pioneer, vip");
    await page.getByRole("button", { name: "Save contact" }).click();
    await contactRow(page, name).waitFor();
    await dismissToast(page);
    await expectAccessible(page, "contacts list");
    console.log(`screenshot: ${await screenshot(page, artifactName("contacts-list", driver))}`);

    // Phone width: the same list at 375 px.
    await page.setViewportSize({ width: 375, height: 812 });
    await contactRow(page, name).waitFor();
    console.log(`screenshot: ${await screenshot(page, artifactName("contacts-list-375px", driver))}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, "page scrolls sideways at 375 px").toBeLessThanOrEqual(1);
    await page.setViewportSize({ width: 1280, height: 800 });

    // Open the contact page.
    await main.getByRole("link", { name, exact: true }).first().click();
    await page.getByRole("heading", { level: 1, name }).waitFor();
    const contactUrl = page.url();
    expect(contactUrl).toMatch(new RegExp(`/w/${workspaceId}/contacts/[0-9a-f-]{36}$`));

    // Log an interaction and see it on the timeline.
    await page.getByRole("button", { name: "Log interaction" }).click();
    await page.getByLabel("Type", { exact: true }).selectOption("meeting");
    await page.getByLabel("Direction", { exact: true }).selectOption("inbound");
    await page.getByLabel("When", { exact: true }).fill("2026-03-02T10:30");
    await page.getByLabel("Subject", { exact: true }).fill("Quarterly review");
    await page.getByLabel("Summary", { exact: true }).fill("Talked about COBOL and the renewal.");
    await page.getByRole("button", { name: "Save interaction" }).click();
    const timeline = page.getByRole("list", { name: "Timeline" });
    await timeline.getByText("Quarterly review").waitFor();
    await dismissToast(page);
    await expectAccessible(page, "contact page");
    console.log(`screenshot: ${await screenshot(page, artifactName("contact-page", driver))}`);

    // Delete, then undo from the toast.
    const deletedAt = async () =>
      (await run.app.query`SELECT deleted_at FROM contacts WHERE name = ${name}`)[0]?.deleted_at ?? null;
    await page.getByRole("button", { name: "Delete contact" }).click();
    const confirm = page.getByRole("dialog").or(page.getByRole("alertdialog"));
    const undo = page.getByRole("status").getByRole("button", { name: "Undo" });
    await confirm.or(undo).first().waitFor();
    if (await confirm.isVisible()) await confirm.getByRole("button", { name: /delete/i }).click();
    await undo.waitFor();
    await expect.poll(deletedAt).not.toBeNull();
    await expect.poll(() => contactRow(page, name).count()).toBe(0);
    await undo.click();
    await expect.poll(deletedAt).toBeNull();
    await contactRow(page, name).waitFor();
    await page.reload();
    await contactRow(page, name).waitFor();

    // Sign out, sign in again, find the contact by searching.
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(page, email, PASSWORD);
    if (!/\/contacts$/.test(page.url())) await page.goto(`/w/${workspaceId}/contacts`);
    // The search box filters the list by words anywhere in the contact (her last name here).
    await page.getByLabel("Search contacts").fill("hopper");
    await main.getByText("1 match", { exact: true }).waitFor();
    await contactRow(page, name).waitFor();
    await main.getByRole("link", { name, exact: true }).first().click();
    await page.getByRole("heading", { level: 1, name }).waitFor();
    await page.getByRole("list", { name: "Timeline" }).getByText("Quarterly review").waitFor();

    expect(record.errors).toEqual([]);
    await context.close();
  });

  it("a member without admin rights sees no member controls, and the server refuses to let them invite", async () => {
    const owner = await run.app.signUp("Olive Owner");
    const workspace = await owner.client.workspaces.create.mutate({ name: "Members E2E" });
    const member = await run.app.signUp("Mel Member");
    await joinWorkspace(owner, workspace.id, member);

    // Control: the owner does get the controls (so their absence below means something).
    {
      const { context, page } = await openPage(run.browser, run.app.url);
      await page.goto(`/w/${workspace.id}/members`);
      await signIn(page, owner.email, owner.password);
      await page.getByRole("heading", { name: "Members", level: 1 }).waitFor();
      await page.getByRole("button", { name: "Create invitation link" }).waitFor();
      await context.close();
    }

    const { context, page, record } = await openPage(run.browser, run.app.url);
    await page.goto(`/w/${workspace.id}/members`);
    await signIn(page, member.email, member.password);
    await page.getByRole("heading", { name: "Members", level: 1 }).waitFor();
    await page.getByText("Olive Owner").first().waitFor();
    expect(await page.getByRole("button", { name: "Create invitation link" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: /^Remove / }).count()).toBe(0);
    expect(await page.getByRole("combobox", { name: /^Role for / }).count()).toBe(0);
    expect(
      await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Audit" }).count(),
    ).toBe(0);
    console.log(`screenshot: ${await screenshot(page, artifactName("members-as-member", driver))}`);
    expect(record.errors).toEqual([]);
    await context.close();

    // The server enforces it, whatever the UI shows.
    const refused = await errorOf(
      member.client.invitations.invite.mutate({
        workspaceId: workspace.id,
        email: "someone@example.com",
        role: "member",
      }),
    );
    expect(refused.code).toBe("FORBIDDEN");
    expect(await owner.client.invitations.listPending.query({ workspaceId: workspace.id })).toEqual([]);
  });
});
