/**
 * GDPR in the dashboard, end to end: the real server (fresh
 * database, own Redis prefix, exports written to a temporary directory)
 * serving the built SPA, driven by Debian's Chromium.
 *
 * register → workspace → contact → on the contact page export the person's
 * data and download the ZIP (opened and checked) → restrict the contact → the
 * workspace Privacy view with due dates and an overdue flag → my Privacy page:
 * export with progress to download, restriction on and off, account deletion
 * refused for a sole owner, then scheduled and cancelled.
 *
 * Saves e2e-artifacts/contact-privacy-actions.png, privacy-workspace.png,
 * privacy-page.png (and privacy-page-375px.png); runs axe-core on the Privacy
 * pages and the contact page.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import JSZip from "jszip";
import type { Browser, Download, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../../server/test/support/app";
import {
  expectAccessible,
  launchBrowser,
  openPage,
  artifactName,
  screenshot,
  startServer,
  E2E_DRIVERS,
} from "./support/harness";
import { joinWorkspace } from "../../server/test/support/members";

const PASSWORD = "correct horse battery staple";

/** Closes the toast, if one is showing, so screenshots show the page itself. */
async function dismissToast(page: Page) {
  const dismiss = page.getByRole("button", { name: "Dismiss notification" });
  if (await dismiss.isVisible()) await dismiss.click();
  await expect.poll(() => dismiss.count()).toBe(0);
}

async function expectNoSidewaysScroll(page: Page, where: string) {
  await page.setViewportSize({ width: 375, height: 812 });
  await page.getByRole("heading", { level: 1 }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${where} scrolls sideways at 375 px`).toBeLessThanOrEqual(1);
}

async function openZip(download: Download) {
  const zip = await JSZip.loadAsync(readFileSync((await download.path())!));
  const names = Object.keys(zip.files).sort();
  const json = async (name: string) => JSON.parse(await zip.file(name)!.async("string")) as unknown;
  return { names, json, readme: await zip.file("README.txt")!.async("string") };
}

/** Waits for an export to finish and downloads it (the button fetches the file with the access token). */
async function downloadExport(page: Page, scope: Locator) {
  const bar = scope.getByRole("progressbar", { name: "Export progress" });
  await bar.waitFor();
  await expect.poll(() => bar.getAttribute("aria-valuenow"), { timeout: 30_000 }).toBe("100");
  const button = scope.getByRole("button", { name: /^Download ZIP \(\d+(\.\d)? (B|KB|MB)\)$/ });
  await button.waitFor();
  expect(await scope.getByText(/^Available until /).textContent()).toMatch(/Available until \w{3} \d{1,2}, \d{4}/);
  const [download] = await Promise.all([page.waitForEvent("download"), button.click()]);
  await scope.getByText(/^Saved rapport-(user|contact)-data-\d{4}-\d{2}-\d{2}\.zip\.$/).waitFor();
  return download;
}

describe.each(E2E_DRIVERS)("privacy on %s", (driver) => {
  let app: TestApp;
  let browser: Browser;
  let exportDir: string;

  beforeAll(async () => {
    exportDir = mkdtempSync(join(tmpdir(), "rapport-e2e-exports-"));
    [app, browser] = await Promise.all([startServer({ driver, env: { EXPORT_DIR: exportDir } }), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (exportDir) rmSync(exportDir, { recursive: true, force: true });
  });

  it("contact export + restriction, the workspace's requests, and my own Privacy page", async () => {
    const { context, page, record } = await openPage(browser, app.url);
    // Every server-sent event the page receives, to tell live progress from polling: the
    // streams come over fetch, whose event-stream answers are read here too, message by message.
    await page.addInitScript(() => {
      const messages: { url: string; data: string }[] = [];
      (window as unknown as { sseMessages: typeof messages }).sseMessages = messages;
      const originalFetch = window.fetch;
      window.fetch = async (input, init) => {
        const response = await originalFetch(input, init);
        if (!response.headers.get("content-type")?.startsWith("text/event-stream") || !response.body) return response;
        const [page, copy] = response.body.tee();
        void (async () => {
          const reader = copy.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            buffer += value;
            const parts = buffer.split("\n\n");
            buffer = parts.pop()!;
            for (const part of parts) {
              const lines = part.split("\n");
              if (lines.some((line) => line.startsWith("event:"))) continue; // pings, connected, errors
              const data = lines.filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trimStart());
              if (data.length > 0) messages.push({ url: response.url, data: data.join("\n") });
            }
          }
        })().catch(() => {});
        return new Response(page, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
      };
    });
    const email = `privacy.${Date.now()}@example.com`;
    const main = page.getByRole("main");

    // Register and create a workspace.
    await page.goto("/");
    await page.getByRole("button", { name: "Create an account" }).click();
    await page.getByLabel("Name").fill("Priya Patel");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await main.getByLabel("Workspace name").fill("Privacy E2E");
    await main.getByRole("button", { name: "Create workspace" }).click();
    await page.waitForURL(/\/w\/[0-9a-f-]{36}\/today$/);
    const workspaceId = /\/w\/([0-9a-f-]{36})\//.exec(page.url())![1]!;
    await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Contacts" }).click();
    await page.waitForURL(`**/w/${workspaceId}/contacts`);

    // Add a contact and log an interaction with her.
    await page.getByRole("button", { name: "Add contact" }).click();
    await page.getByLabel("Name", { exact: true }).fill("Ada Lovelace");
    await page.getByLabel("Email", { exact: true }).fill("ada@analytical.example");
    await page.getByLabel("Company", { exact: true }).fill("Analytical Engines");
    await page.getByRole("button", { name: "Save contact" }).click();
    await main.getByRole("link", { name: "Ada Lovelace", exact: true }).first().click();
    await page.getByRole("heading", { level: 1, name: "Ada Lovelace" }).waitFor();
    const contactId = /\/contacts\/([0-9a-f-]{36})$/.exec(page.url())![1]!;
    await page.getByRole("button", { name: "Log interaction" }).click();
    await page.getByLabel("Type", { exact: true }).selectOption("meeting");
    await page.getByLabel("Subject", { exact: true }).fill("Difference engine review");
    await page.getByRole("button", { name: "Save interaction" }).click();
    await page.getByRole("list", { name: "Timeline" }).getByText("Difference engine review").waitFor();

    // Contact page: export this person's data (confirmed), follow the progress, download, open the ZIP.
    const panel = page.getByRole("region", { name: "Privacy" });
    await panel.getByText("Processing: not restricted").waitFor();
    await panel.getByRole("button", { name: "Export this person's data" }).click();
    const exportDialog = page.getByRole("dialog", { name: "Export Ada Lovelace's data?" });
    await exportDialog.getByRole("button", { name: "Yes, export" }).click();
    await exportDialog.waitFor({ state: "hidden" });
    const contactZip = await openZip(await downloadExport(page, panel));
    expect(contactZip.names).toEqual([
      "README.txt",
      "activity.json",
      "audit.json",
      "contact-merges.json",
      "interactions.json",
      "keep-in-touch.json",
      "profile.json",
      "tasks.json",
      "webhook-messages.json",
    ]);
    expect(JSON.stringify(await contactZip.json("profile.json"))).toContain("ada@analytical.example");
    expect(JSON.stringify(await contactZip.json("interactions.json"))).toContain("Difference engine review");
    expect(contactZip.readme.length).toBeGreaterThan(100);

    // Restrict processing (confirmed); the contact is marked and suggestions stop.
    await panel.getByRole("button", { name: "Restrict processing" }).click();
    const restrictDialog = page.getByRole("dialog", { name: "Restrict processing of Ada Lovelace's data?" });
    expect(await restrictDialog.textContent()).toMatch(/Stopped: recommendations, analytics/);
    await restrictDialog.getByRole("button", { name: "Yes, restrict" }).click();
    await restrictDialog.waitFor({ state: "hidden" });
    const header = page.locator(".ct-title-row");
    await header.getByText("Processing restricted").waitFor();
    await page.getByText("Processing of this person's data is restricted (GDPR Art. 18).").waitFor();
    await panel.getByRole("button", { name: "Lift restriction" }).waitFor();
    expect(await page.getByRole("region", { name: "Suggested connections" }).count()).toBe(0);
    expect((await app.query`SELECT 1 FROM gdpr_restrictions WHERE subject_id = ${contactId}`).length).toBe(1);
    await dismissToast(page);
    await expectAccessible(page, "contact page with privacy actions");
    console.log(`screenshot: ${await screenshot(page, artifactName("contact-privacy-actions", driver))}`);
    await expectNoSidewaysScroll(page, "contact page with privacy actions");
    await page.setViewportSize({ width: 1280, height: 800 });

    // Erase another contact: a reason is required, the warning says it is irreversible; the page then shows the anonymous record.
    const login = await app.client().auth.login.mutate({ email, password: PASSWORD });
    const api = app.client(login.accessToken);
    const charles = await api.contacts.create.mutate({
      workspaceId,
      name: "Charles Babbage",
      email: "charles@engines.example",
      company: "Engines Ltd",
      tags: ["inventor"],
    });
    await api.interactions.create.mutate({
      workspaceId,
      contactId: charles.id,
      type: "call",
      direction: "inbound",
      occurredAt: new Date(),
      subject: "Call with Charles about the engine",
    });
    await page.goto(`/w/${workspaceId}/contacts/${charles.id}`);
    await page.getByRole("heading", { level: 1, name: "Charles Babbage" }).waitFor();
    await page.getByRole("region", { name: "Privacy" }).getByRole("button", { name: "Erase…" }).click();
    const eraseDialog = page.getByRole("dialog", { name: "Erase Charles Babbage permanently?" });
    await eraseDialog.getByText("This cannot be undone.").waitFor();
    await eraseDialog.getByRole("button", { name: "Erase permanently" }).click();
    const reason = eraseDialog.getByLabel("Reason for the erasure");
    await expect.poll(() => reason.getAttribute("aria-invalid")).toBe("true");
    expect(await eraseDialog.getByText("Give the reason for the erasure.").count()).toBe(1);
    await reason.fill("Erasure requested by email on 2 March");
    await eraseDialog.getByRole("button", { name: "Erase permanently" }).click();
    await eraseDialog.waitFor({ state: "hidden" });
    await page.getByRole("heading", { level: 1, name: "Erased contact" }).waitFor();
    await page.locator(".ct-title-row").getByText("Erased", { exact: true }).waitFor();
    await page.getByText(/^This person's personal data was erased on /).waitFor();
    expect(await page.getByRole("button", { name: "Edit profile" }).count()).toBe(0);
    expect(await page.getByRole("region", { name: "Privacy" }).count()).toBe(0);
    expect(await page.getByRole("main").textContent()).not.toMatch(/Charles|charles@engines|Engines Ltd|inventor/);
    const [stored] = await app.query`SELECT name, email, company FROM contacts WHERE id = ${charles.id}`;
    expect(stored).toEqual({ name: "Erased contact", email: null, company: null });
    await expectAccessible(page, "erased contact page");
    console.log(`screenshot: ${await screenshot(page, artifactName("contact-erased", driver))}`);

    // A request received by letter five weeks ago and still open (recorded outside the app): it is overdue.
    await app.query`
      INSERT INTO gdpr_operations (workspace_id, type, subject_kind, subject_id, reason, status, requested_at, due_at, updated_at)
      VALUES (${workspaceId}, 'contact_erasure', 'contact', ${contactId}, 'Erasure requested by letter', 'pending',
              now() - interval '40 days', now() - interval '9 days', now() - interval '40 days')`;

    // The workspace Privacy view (next to Audit): open requests first, overdue flagged in words; history with due dates.
    const nav = page.getByRole("navigation", { name: "Workspace sections" });
    await nav.getByRole("link", { name: "Privacy" }).click();
    await page.waitForURL(`**/w/${workspaceId}/privacy`);
    await page.getByRole("heading", { level: 1, name: "Privacy" }).waitFor();
    const open = page.getByRole("table", { name: "Open privacy requests" });
    await open.waitFor();
    const overdueRow = open.getByRole("row").filter({ hasText: "Erasure requested by letter" });
    expect(await overdueRow.textContent()).toMatch(/Overdue by 9 days/);
    expect(await overdueRow.getAttribute("class")).toContain("pv-row-overdue");
    expect(await overdueRow.getByRole("link", { name: "Ada Lovelace" }).getAttribute("href")).toBe(
      `/w/${workspaceId}/contacts/${contactId}`,
    );
    const history = page.getByRole("table", { name: "Privacy request history" });
    const erasure = history.getByRole("row").filter({ hasText: "Erasure requested by email on 2 March" });
    await erasure.getByText("Completed").waitFor();
    // Named as the record is now: anonymous.
    await erasure.getByRole("link", { name: "Erased contact" }).waitFor();
    const restriction = history.getByRole("row").filter({ hasText: "Restriction of processing" });
    expect(await restriction.getByRole("cell").nth(1).textContent()).toBe("Completed");
    // Due: one month after receipt.
    const due = new Date();
    due.setUTCMonth(due.getUTCMonth() + 1);
    expect(await restriction.locator('[data-label="Due"] time').getAttribute("datetime")).toMatch(
      new RegExp(`^${due.toISOString().slice(0, 10)}`),
    );
    expect(await page.getByRole("term").filter({ hasText: "Overdue" }).locator("xpath=..").textContent()).toMatch(
      /^Overdue⚠ 1$/,
    );
    await expectAccessible(page, "workspace privacy page");
    console.log(`screenshot: ${await screenshot(page, artifactName("privacy-workspace", driver))}`);
    await expectNoSidewaysScroll(page, "workspace privacy page");
    console.log(`screenshot: ${await screenshot(page, artifactName("privacy-workspace-375px", driver))}`);
    await page.setViewportSize({ width: 1280, height: 800 });

    // My Privacy page, from the top bar.
    await page.getByRole("banner").getByRole("link", { name: "My privacy" }).click();
    await page.waitForURL("**/privacy");
    await page.getByRole("heading", { level: 1, name: "Privacy" }).waitFor();
    await page
      .getByRole("table", { name: "My privacy requests" })
      .or(page.getByText("No requests yet."))
      .first()
      .waitFor();
    await expectAccessible(page, "privacy page");

    // Download my data: the progress bar reaches 100 %, then the ZIP downloads.
    // The bar follows the export's job live (one jobs.progress stream to its end), not by polling its status.
    const mine = page.getByRole("region", { name: "Download my data" });
    let statusReads = 0;
    const countStatusReads = (request: { url(): string }) => {
      if (new URL(request.url()).pathname.includes("gdpr.exportStatus")) statusReads++;
    };
    page.on("request", countStatusReads);
    await mine.getByRole("button", { name: "Request my data" }).click();
    const userZip = await openZip(await downloadExport(page, mine));
    page.off("request", countStatusReads);
    const progressEvents = await page.evaluate(() =>
      (window as unknown as { sseMessages: { url: string; data: string }[] }).sseMessages
        .filter((message) => new URL(message.url).pathname === "/trpc/jobs.progress")
        .map((message) => message.data),
    );
    expect(progressEvents.some((data) => data.includes('"kind":"gdpr.export"'))).toBe(true);
    expect(progressEvents.at(-1)).toContain('"state":"completed"');
    expect(progressEvents.at(-1)).toContain('"percent":100');
    // Its status is read when it starts and once it ended (again only if the status lagged the job).
    expect(statusReads).toBeLessThanOrEqual(3);
    expect(userZip.names).toEqual([
      "README.txt",
      "activity.json",
      "audit.json",
      "contacts.json",
      "gmail-connections.json",
      "interactions.json",
      "invitations.json",
      "notification-preferences.json",
      "notifications.json",
      "preferences.json",
      "profile.json",
      "saved-views.json",
      "tasks.json",
    ]);
    expect(JSON.stringify(await userZip.json("profile.json"))).toContain(email);
    expect(JSON.stringify(await userZip.json("contacts.json"))).toContain("Ada Lovelace");
    await mine.getByRole("button", { name: "Request a new export" }).waitFor();

    // Restrict processing on, then off again.
    const restrict = page.getByRole("region", { name: "Restrict processing" });
    const toggle = restrict.getByRole("switch", { name: "Restrict processing of my data" });
    expect(await toggle.getAttribute("aria-checked")).toBe("false");
    await toggle.click();
    await expect.poll(() => toggle.getAttribute("aria-checked")).toBe("true");
    await restrict.getByText("Processing of your data is restricted.").waitFor();
    expect(await restrict.getByText(/^Stopped until you lift it: /).textContent()).toMatch(/recommendations/);
    await restrict.getByText(/Still working either way: signing in, viewing/).waitFor();
    await page.getByRole("table", { name: "My privacy requests" }).getByText("Restriction of processing").waitFor();
    await toggle.press("Space");
    await expect.poll(() => toggle.getAttribute("aria-checked")).toBe("false");
    await page.getByRole("table", { name: "My privacy requests" }).getByText("Restriction lifted").waitFor();

    // Delete my account: a sole owner is told to hand over ownership or delete the workspace first.
    const remove = page.getByRole("region", { name: "Delete my account" });
    const schedule = remove.getByRole("button", { name: "Schedule account deletion" });
    await remove.getByLabel("Reason").fill("Moving to another tool");
    await remove.getByLabel("Password").fill(PASSWORD);
    expect(await schedule.isDisabled()).toBe(true);
    await remove.getByLabel("Type DELETE to confirm").fill("DELETE");
    expect(await schedule.isEnabled()).toBe(true);
    await schedule.click();
    const refusal = remove.getByRole("alert");
    await refusal.getByText(/You are the sole owner of a workspace/).waitFor();
    expect(await refusal.getByRole("link", { name: "Transfer ownership of Privacy E2E" }).getAttribute("href")).toBe(
      `/w/${workspaceId}/members#transfer-ownership`,
    );
    expect(await refusal.getByRole("link", { name: "Delete workspace Privacy E2E" }).getAttribute("href")).toBe(
      `/w/${workspaceId}/members#delete-workspace`,
    );

    // Another owner joins; now the deletion is scheduled, with its date, and can be cancelled.
    const other = await app.signUp("Otto Owner");
    await joinWorkspace({ client: api }, workspaceId, other, "owner");
    await remove.getByLabel("Password").fill(PASSWORD);
    await remove.getByLabel("Type DELETE to confirm").fill("DELETE");
    await schedule.click();
    const scheduled = remove.getByText(/^Your account will be deleted on /);
    await scheduled.waitFor();
    expect(await scheduled.textContent()).toMatch(/\(in 29 days\)|\(in 30 days\)/);
    await remove.getByText(/erased irreversibly on \d{4}-\d{2}-\d{2}/).waitFor();
    await page.getByRole("table", { name: "My privacy requests" }).getByText("Scheduled").waitFor();
    expect(
      (await app.query`SELECT status FROM gdpr_operations WHERE type = 'user_deletion'`).map((row) => row.status),
    ).toEqual(["pending"]);

    // Where my data lives (collapsible).
    const locations = page.getByRole("region", { name: "Where my data lives" });
    await locations.getByText("Where my data lives").click();
    await locations.getByText("Database", { exact: true }).waitFor();
    await locations.getByRole("heading", { name: "How long each kind of data is kept" }).waitFor();
    await expectAccessible(page, "privacy page (deletion scheduled, data locations open)");
    console.log(`screenshot: ${await screenshot(page, artifactName("privacy-page", driver))}`);

    // Phone width: nothing scrolls sideways.
    await expectNoSidewaysScroll(page, "privacy page");
    console.log(`screenshot: ${await screenshot(page, artifactName("privacy-page-375px", driver))}`);
    await page.setViewportSize({ width: 1280, height: 800 });

    // Cancel the deletion.
    await remove.getByRole("button", { name: "Cancel deletion" }).click();
    await remove.getByText("Deletion cancelled. Your account stays as it is.").waitFor();
    await page.getByRole("table", { name: "My privacy requests" }).getByText("Cancelled").waitFor();
    expect(
      (await app.query`SELECT status FROM gdpr_operations WHERE type = 'user_deletion'`).map((row) => row.status),
    ).toEqual(["cancelled"]);

    expect(record.errors).toEqual([]);
    await context.close();
  });
});
