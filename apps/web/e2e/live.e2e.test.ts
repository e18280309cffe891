/**
 * Live updates end to end, two people of one workspace in two browsers: what one adds
 * shows on the other's contacts list and Activity feed at once (the time is logged),
 * without a reload (their two tabs share one event stream); a notification raises the bell's
 * count; after the server drops every connection the stream resumes from the last
 * event id and nothing committed meanwhile is missing. axe-core checks the page with
 * the notifications panel open. On Postgres with Redis and on the embedded default (PGlite, one
 * process, no Redis) alike.
 */
import { loadavg } from "node:os";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { joinWorkspace } from "../../server/test/support/members";
import {
  expectAccessible,
  openPage,
  artifactName,
  screenshot,
  signIn,
  E2E_DRIVERS,
  serverAndBrowser,
} from "./support/harness";

/** The header's connection indicator reads "Live". */
const live = (page: Page) => page.getByRole("status").filter({ hasText: "Live" }).first().waitFor();

describe.each(E2E_DRIVERS)("live updates on %s", (driver) => {
  const run = serverAndBrowser({ driver });

  it("a colleague's new contact appears in the list and in Activity without a reload; the bell counts a notification; a dropped stream resumes with no gap", async () => {
    const ana = await run.app.signUp("Ana Lima");
    const ben = await run.app.signUp("Ben Okafor");
    const workspace = await ana.client.workspaces.create.mutate({ name: "Live E2E" });
    await joinWorkspace(ana, workspace.id, ben);

    // Ben: the contacts list in one tab, the Activity feed in another (one run.browser, one stream).
    const benSide = await openPage(run.browser, run.app.url);
    const benList = benSide.page;
    await benList.goto(`/w/${workspace.id}/contacts`);
    await signIn(benList, ben.email, ben.password);
    await benList.getByRole("heading", { name: "Contacts" }).waitFor();
    const benFeed = await benSide.context.newPage();
    await benFeed.goto(`/w/${workspace.id}/activity`);
    await benFeed.getByRole("list", { name: "Activity feed" }).waitFor();
    await Promise.all([live(benList), live(benFeed)]);

    // Ana adds a contact in her run.browser.
    const anaSide = await openPage(run.browser, run.app.url);
    const anaPage = anaSide.page;
    await anaPage.goto(`/w/${workspace.id}/contacts`);
    await signIn(anaPage, ana.email, ana.password);
    await anaPage.getByRole("button", { name: "Add contact" }).click();
    await anaPage.getByLabel("Name", { exact: true }).fill("Jens Holt");
    await anaPage.getByRole("button", { name: "Save contact" }).click();
    await anaPage.getByText("Added Jens Holt.").waitFor();
    const added = Date.now();

    // Ben sees it in both tabs, without reloading either.
    await Promise.all([
      benList.getByRole("link", { name: "Jens Holt" }).first().waitFor({ timeout: 5_000 }),
      benFeed
        .getByRole("list", { name: "Activity feed" })
        .getByText("Ana Lima added contact Jens Holt")
        .waitFor({ timeout: 5_000 }),
    ]);
    const seenAfterMs = Date.now() - added;
    // The figure is reported, not asserted: on a shared, loaded CI machine a stopwatch flakes;
    // delivery latency is measured against its floor by `pnpm bench:realtime`.
    console.log(
      `${driver}: contact added by Ana → visible in Ben's list and feed after ${seenAfterMs} ms (load ${loadavg()[0]})`,
    );
    // Only one of Ben's tabs holds a stream to the server; the other hears it from that tab.
    expect(run.app.runtime.services.liveFeed.stats().streams).toBe(2); // Ana's one and Ben's one

    // Ana makes Ben an admin: Ben is notified, the bell says so at once.
    const bell = benList.getByRole("button", { name: /^Notifications/ });
    await expect.poll(() => bell.getAttribute("aria-label")).toBe("Notifications");
    await ana.client.workspaces.setRole.mutate({ workspaceId: workspace.id, userId: ben.userId, role: "admin" });
    await expect.poll(() => bell.getAttribute("aria-label"), { timeout: 5_000 }).toBe("Notifications, 1 unread");
    await benList.getByText("Your role in Live E2E is now admin").first().waitFor(); // the toast
    await bell.click();
    const panel = benList.getByRole("region", { name: "Notifications" });
    await panel.getByText("Your role in Live E2E is now admin").waitFor();
    await expectAccessible(benList, "contacts list with the notifications panel open");
    console.log(`screenshot: ${await screenshot(benList, artifactName("notifications", driver))}`);
    await panel.getByRole("button", { name: "Mark all read" }).click();
    await expect.poll(() => bell.getAttribute("aria-label")).toBe("Notifications");

    // The server drops every connection; contacts added meanwhile all arrive once it is back,
    // resumed from the last event id (not refetched from scratch: the workspaces query stays).
    const streamOpens: { url: string; lastEventId: string | undefined; authorization: string | undefined }[] = [];
    let workspaceFetches = 0;
    for (const page of [benList, benFeed]) {
      page.on("request", (request) => {
        const url = request.url();
        if (url.includes("/trpc/activity.live"))
          void request
            .allHeaders()
            .then((headers) =>
              streamOpens.push({ url, lastEventId: headers["last-event-id"], authorization: headers.authorization }),
            );
        if (url.includes("workspaces.list")) workspaceFetches++;
      });
    }
    run.app.server.server.closeAllConnections();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const missed = ["Kira Nakamura", "Luis Ortega", "Mia Svensson"];
    for (const name of missed) await ana.client.contacts.create.mutate({ workspaceId: workspace.id, name });
    const feed = benFeed.getByRole("list", { name: "Activity feed" });
    for (const name of missed) {
      await feed.getByText(`Ana Lima added contact ${name}`).waitFor({ timeout: 15_000 });
      await benList.getByRole("link", { name }).first().waitFor();
    }
    await live(benList);
    // The stream was opened again after the last event Ben had (the browser sends its id).
    expect(streamOpens.length).toBeGreaterThan(0);
    expect(
      streamOpens.map((open) => open.lastEventId ?? /lastEventId%22%3A%22(\d+)/.exec(open.url)?.[1]),
    ).not.toContain(undefined);
    // The token went in the Authorization header, never in the URL (access logs keep URLs).
    for (const open of streamOpens) {
      expect(open.authorization).toMatch(/^Bearer \S+$/);
      expect(open.url).not.toContain("connectionParams");
    }
    expect(workspaceFetches).toBe(0);
    // Each once, newest first.
    const lines = await feed.getByRole("listitem").allTextContents();
    const at = (name: string) => lines.findIndex((line) => line.includes(`added contact ${name}`));
    expect(
      [...missed, "Jens Holt"].map((name) => lines.filter((line) => line.includes(`contact ${name}`)).length),
    ).toEqual([1, 1, 1, 1]);
    const positions = [at("Mia Svensson"), at("Luis Ortega"), at("Kira Nakamura"), at("Jens Holt")];
    expect(positions).toEqual([...positions].sort((x, y) => x - y));

    expect(benSide.record.errors).toEqual([]);
    expect(anaSide.record.errors).toEqual([]);
    await benSide.context.close();
    await anaSide.context.close();
  });

  it("browser notifications are off until turned on in the settings (which asks once); then a notification shows as one while the tab is hidden, not while it is in view", async () => {
    const ana = await run.app.signUp("Ana Costa");
    const ben = await run.app.signUp("Ben Adeyemi");
    const workspace = await ana.client.workspaces.create.mutate({ name: "Notify E2E" });
    await joinWorkspace(ana, workspace.id, ben);

    const { context, page, record } = await openPage(run.browser, run.app.url);
    await context.grantPermissions(["notifications"], { origin: run.app.url });
    // Records every system notification the page shows, and lets the test hide the tab.
    await page.addInitScript(() => {
      const shown: { title: string; body: string | undefined; tag: string | undefined }[] = [];
      const Real = window.Notification;
      window.Notification = class extends Real {
        constructor(title: string, options?: NotificationOptions) {
          shown.push({ title, body: options?.body, tag: options?.tag });
          super(title, options);
        }
      };
      let hidden = false;
      Object.defineProperty(Document.prototype, "visibilityState", {
        configurable: true,
        get: () => (hidden ? "hidden" : "visible"),
      });
      Object.assign(window, {
        shownNotifications: shown,
        setHidden: (value: boolean) => {
          hidden = value;
          document.dispatchEvent(new Event("visibilitychange"));
        },
      });
    });
    const shown = () =>
      page.evaluate(() => (window as unknown as { shownNotifications: { body?: string }[] }).shownNotifications);
    const setHidden = (value: boolean) =>
      page.evaluate((v) => (window as unknown as { setHidden: (v: boolean) => void }).setHidden(v), value);

    await page.goto(`/w/${workspace.id}/contacts`);
    await signIn(page, ben.email, ben.password);
    await live(page);

    // Off by default: hidden, a notification makes no system notification.
    await setHidden(true);
    await ana.client.workspaces.setRole.mutate({ workspaceId: workspace.id, userId: ben.userId, role: "admin" });
    const bell = page.getByRole("button", { name: /^Notifications/ });
    await expect.poll(() => bell.getAttribute("aria-label"), { timeout: 5_000 }).toBe("Notifications, 1 unread");
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await shown()).toEqual([]);
    await setHidden(false);

    // Turned on from the settings.
    await page.goto("/settings/notifications");
    const settings = page.getByRole("region", { name: "Browser notifications" });
    const toggle = settings.getByRole("checkbox", { name: "Show system notifications from this browser" });
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await expect.poll(() => toggle.isChecked()).toBe(true);
    await page.goto(`/w/${workspace.id}/contacts`);
    await live(page);

    // In view: a toast, no system notification.
    await ana.client.workspaces.setRole.mutate({ workspaceId: workspace.id, userId: ben.userId, role: "member" });
    await page.getByText("Your role in Notify E2E is now member").first().waitFor();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await shown()).toEqual([]);

    // Hidden: one system notification with the notification's sentence.
    await setHidden(true);
    await ana.client.workspaces.setRole.mutate({ workspaceId: workspace.id, userId: ben.userId, role: "admin" });
    await expect.poll(shown, { timeout: 5_000 }).toHaveLength(1);
    expect((await shown())[0]).toMatchObject({ title: "Rapport", body: "Your role in Notify E2E is now admin" });
    expect(record.errors).toEqual([]);
    await context.close();
  });
});
