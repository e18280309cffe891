/**
 * Integrations end to end, in Chromium against the real server (worker included) and the local
 * Google fake the real googleapis client talks to: a member presses Connect Gmail, consents at
 * "Google", comes back through the server's callback to the Integrations page, watches the first
 * sync's progress and then its last-run time and counts, syncs new mail with "Sync now", finds the
 * mailbox's people among the workspace's contacts, and disconnects (the grant is revoked at Google, the contacts stay).
 * axe-core checks the page before connecting, while syncing and once synced.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../../server/test/support/app";
import { googleEnv, startGoogleFake, type GoogleFake } from "../../server/test/support/google";
import { freePort } from "../../server/test/support/ports";
import {
  expectAccessible,
  launchBrowser,
  openPage,
  artifactName,
  screenshot,
  signIn,
  startServer,
  E2E_DRIVERS,
} from "./support/harness";

const MAILBOX = "pat.mailbox@gmail.example";

describe.each(E2E_DRIVERS)("integrations page on %s", (driver) => {
  let app: TestApp;
  let browser: Browser;
  let google: GoogleFake;

  beforeAll(async () => {
    google = await startGoogleFake();
    // Few people on many messages: every contact fits on one screen of the list, and the sync,
    // with Google answering in 25 ms and 3 reads at a time, runs long enough to watch its progress.
    google.addMailbox({ email: MAILBOX, messages: 240, people: 8, participantsPerMessage: 3, categoryMessages: 6 });
    google.latencyMs = 25;
    // Google's consent comes back to this server's callback: its port is chosen before it starts.
    const port = await freePort();
    [app, browser] = await Promise.all([
      startServer({
        driver,
        port,
        env: {
          ...googleEnv(google, `http://127.0.0.1:${port}/oauth/google/callback`),
          GMAIL_SYNC_CONCURRENCY: "3",
        },
      }),
      launchBrowser(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await google?.close();
  });

  it("connect Gmail through Google's consent → first sync's progress → last run and counts → contacts → disconnect", async () => {
    const member = await app.signUp("Pat Mailbox");
    const workspace = await member.client.workspaces.create.mutate({ name: "Mailbox E2E" });
    const mailbox = google.mailbox(MAILBOX);
    const personalCount = mailbox.messages.filter((m) => m.kind === "personal").length;
    const { context, page, record } = await openPage(browser, app.url, { width: 1280, height: 1400 });

    await page.goto(`/w/${workspace.id}/integrations`);
    await signIn(page, member.email, member.password);
    const card = page.getByRole("region", { name: "Gmail" });
    const connectButton = card.getByRole("button", { name: "Connect Gmail" });
    await connectButton.waitFor();
    await expectAccessible(page, "integrations page before connecting");

    // Consent at Google (the fake approves at once), back through /oauth/google/callback.
    await connectButton.click();
    await page.waitForURL(`**/w/${workspace.id}/integrations`, { timeout: 20_000 });
    expect(page.url(), "the authorization code leaves the address bar").not.toContain("gmailCode");
    const facts = card.getByRole("definition");
    await card.getByText(MAILBOX).waitFor();

    // The first sync runs in the worker; the page follows it every second.
    const progress = card.getByRole("progressbar", { name: /^Syncing: [\d,]+ of [\d,]+ emails/ });
    await progress.waitFor({ timeout: 20_000 });
    await card.getByRole("button", { name: "Syncing…" }).waitFor();
    await expectAccessible(page, "integrations page while the first sync runs");
    console.log(`screenshot: ${await screenshot(page, artifactName("integrations-syncing", driver))}`);

    // Done: when it last ran (a <time> with the instant), what it imported, when it runs next.
    await card.getByRole("button", { name: "Sync now" }).waitFor({ timeout: 30_000 });
    await progress.waitFor({ state: "detached" });
    const lastSync = card.locator("dd time");
    await lastSync.waitFor();
    const ranAt = new Date((await lastSync.getAttribute("datetime"))!);
    expect(Math.abs(Date.now() - ranAt.getTime())).toBeLessThan(60_000);
    await expect
      .poll(() => facts.allInnerTexts())
      .toContain(`${mailbox.expectedContacts().size} contacts, ${personalCount} emails`);
    expect((await facts.allInnerTexts()).some((text) => /^In \d+ min \d\d s$/.test(text))).toBe(true);
    await card.getByText("Active", { exact: true }).waitFor();
    await expectAccessible(page, "integrations page after the first sync");
    console.log(`screenshot: ${await screenshot(page, artifactName("integrations-synced", driver))}`);

    // New mail and "Sync now": the page follows the queued sync until it has run.
    mailbox.addMessages(1);
    await card.getByRole("button", { name: "Sync now" }).click();
    await expect
      .poll(() => facts.allInnerTexts(), { timeout: 10_000 })
      .toContain(`${mailbox.expectedContacts().size} contacts, ${personalCount + 1} emails`);
    expect(new Date((await lastSync.getAttribute("datetime"))!).getTime()).toBeGreaterThan(ranAt.getTime());

    // Everyone the mailbox exchanged personal mail with is a contact now.
    await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Contacts" }).click();
    const expectedContacts = mailbox.expectedContacts();
    const grid = page.getByRole("grid", { name: "Contacts" });
    for (const email of expectedContacts) await grid.getByText(email, { exact: true }).waitFor();
    expect(await grid.getByRole("rowheader").count()).toBe(expectedContacts.size);

    // Disconnect, confirmed: the grant is revoked at Google; the contacts stay.
    await page
      .getByRole("navigation", { name: "Workspace sections" })
      .getByRole("link", { name: "Integrations" })
      .click();
    await card.getByRole("button", { name: "Disconnect" }).click();
    const dialog = page.getByRole("dialog", { name: "Disconnect Gmail?" });
    await dialog.getByText(`Rapport stops syncing ${MAILBOX}`).waitFor();
    await dialog.getByRole("button", { name: "Yes, disconnect" }).click();
    await connectButton.waitFor();
    expect(google.grants(MAILBOX).length).toBeGreaterThan(0);
    expect(google.grants(MAILBOX).every((grant) => grant.revoked)).toBe(true);
    const { count } = await member.client.contacts.count.query({ workspaceId: workspace.id });
    expect(count).toBe(expectedContacts.size);
    expect(record.errors).toEqual([]);
    await context.close();
  });
});
