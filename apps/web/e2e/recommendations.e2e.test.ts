import { describe, expect, it } from "vitest";
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

describe.each(E2E_DRIVERS)("recommendations dashboard on %s", (driver) => {
  const run = serverAndBrowser({ driver });

  it("suggests a co-participant's contact with a reason, and an owner warms the cache up", async () => {
    // A small workspace: Ana emailed Ben; Ben emailed Carla and Dan together (co-participants on one email).
    const owner = await run.app.signUp("Olive Owner");
    const workspace = await owner.client.workspaces.create.mutate({ name: "Recs E2E" });
    const people: Record<string, string> = {};
    for (const [name, company] of [
      ["Ana Ruiz", "Acme"],
      ["Ben Ortiz", "Globex"],
      ["Carla Diaz", "Initech"],
      ["Dan Fox", "Acme"],
    ] as const) {
      people[name] = (await owner.client.contacts.create.mutate({ workspaceId: workspace.id, name, company })).id;
    }
    const email = (from: string, subject: string, ...participants: string[]) =>
      owner.client.interactions.create.mutate({
        workspaceId: workspace.id,
        contactId: people[from]!,
        type: "email",
        direction: "outbound",
        occurredAt: new Date(),
        subject,
        participants: participants.map((name) => ({ contactId: people[name]! })),
      });
    await email("Ana Ruiz", "Intro", "Ben Ortiz");
    await email("Ben Ortiz", "Renewal", "Carla Diaz", "Dan Fox");

    const { context, page, record } = await openPage(run.browser, run.app.url);

    // The contact page of Ana: Carla is suggested through Ben.
    await page.goto(`/w/${workspace.id}/contacts/${people["Ana Ruiz"]}`);
    await signIn(page, owner.email, owner.password);
    await page.getByRole("heading", { level: 1, name: "Ana Ruiz" }).waitFor();
    const region = page.getByRole("region", { name: "Suggested connections" });
    await region.getByRole("heading", { level: 2, name: "Suggested connections" }).waitFor();
    const suggestions = region.getByRole("list", { name: "Suggestions for Ana Ruiz" });
    const carla = suggestions.getByRole("listitem").filter({ has: page.getByRole("link", { name: "Carla Diaz" }) });
    await carla.waitFor();
    await expect.poll(() => carla.textContent()).toContain("1 shared thread with Ben Ortiz");
    expect(await carla.textContent()).toContain("Initech");
    expect(await carla.textContent()).toMatch(/\d+% match/);
    const dan = suggestions.getByRole("listitem").filter({ has: page.getByRole("link", { name: "Dan Fox" }) });
    expect(await dan.textContent()).toContain("Same company: Acme");
    // Ben is already known (they share a thread): listed only on request.
    expect(await suggestions.getByRole("link", { name: "Ben Ortiz" }).count()).toBe(0);
    await region.getByRole("checkbox", { name: "Include people they already know" }).check();
    const ben = suggestions.getByRole("listitem").filter({ has: page.getByRole("link", { name: "Ben Ortiz" }) });
    await ben.waitFor();
    expect(await ben.textContent()).toContain("Already in touch: 1 shared thread");
    await region.getByRole("checkbox", { name: "Include people they already know" }).uncheck();
    await expect.poll(() => suggestions.getByRole("link", { name: "Ben Ortiz" }).count()).toBe(0);
    await expectAccessible(page, "contact page with suggestions");
    await region.scrollIntoViewIfNeeded();
    console.log(`screenshot: ${await screenshot(page, artifactName("suggestions", driver))}`);

    // The cache page, from the nav (owners and admins see the link).
    await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Cache" }).click();
    await page.getByRole("heading", { level: 1, name: "Cache" }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/w/${workspace.id}/cache`);
    await page.getByText("Recommendations cached", { exact: true }).waitFor();

    await page.getByRole("button", { name: "Warm up cache" }).click();
    const bar = page.getByRole("progressbar", { name: "Warm-up progress" });
    await bar.waitFor();
    await expect.poll(() => bar.getAttribute("aria-valuenow"), { timeout: 30_000 }).toBe("100");
    const result = page.getByRole("status").filter({ hasText: "Warm-up complete" });
    await result.waitFor();
    const figure = async (term: string) =>
      Number(
        (
          (await result.getByText(term, { exact: true }).locator("xpath=following-sibling::dd").textContent()) ?? ""
        ).replace(/[^\d.]/g, ""),
      );
    expect(await figure("Contacts cached")).toBeGreaterThanOrEqual(1);
    expect(await figure("Recommendations generated")).toBeGreaterThanOrEqual(0);
    expect(await result.getByText("Time taken").locator("xpath=following-sibling::dd").textContent()).toMatch(/\d s$/);
    expect(await page.getByRole("button", { name: "Warm up cache" }).isEnabled()).toBe(true);

    // The lookups above show in the hit-rate chart (the server's per-minute series).
    await page.getByRole("img", { name: /^Hit rate per minute over the last hour; latest/ }).waitFor();
    // The warmed lists are in the keys table (cache.keys against the real input schema).
    const keys = page.getByRole("table", { name: "Cache keys of this workspace" });
    await keys.getByText(`rec:${workspace.id}:`, { exact: false }).first().waitFor();
    // Let the progress bar's fill finish its short transition before the screenshot.
    await expect
      .poll(() =>
        page.evaluate(
          () =>
            document.querySelector(".progress-fill")!.getBoundingClientRect().width /
            document.querySelector(".progress")!.getBoundingClientRect().width,
        ),
      )
      .toBeGreaterThan(0.98);
    await expectAccessible(page, "cache page");
    console.log(`screenshot: ${await screenshot(page, artifactName("cache-panel", driver))}`);

    // Invalidate, with confirmation.
    await page.getByRole("button", { name: "Invalidate workspace cache" }).click();
    const dialog = page.getByRole("dialog", { name: "Invalidate the workspace cache?" });
    await dialog.getByRole("button", { name: "Yes, invalidate" }).click();
    await page.getByText(/Cache invalidated: \d+ keys? removed/).waitFor();
    // Deleting one key from the run.browser.
    await page.getByRole("button", { name: "Warm up cache" }).click();
    await page.getByRole("status").filter({ hasText: "Warm-up complete" }).waitFor();
    await page.reload(); // a fresh key list, without the keys the invalidation swept
    await page.getByRole("heading", { level: 1, name: "Cache" }).waitFor();
    const firstKey = (await keys.locator("code").first().textContent())!;
    await keys.getByRole("button", { name: "Delete" }).first().click();
    await page.getByText(`Deleted ${firstKey}.`).waitFor();

    expect(record.errors).toEqual([]);
    await context.close();
  });

  it("a member sees no Cache link and the cache page says it is for owners and admins", async () => {
    const owner = await run.app.signUp("Owen Owner");
    const workspace = await owner.client.workspaces.create.mutate({ name: "Members only" });
    const member = await run.app.signUp("Mia Member");
    await joinWorkspace(owner, workspace.id, member);

    const { context, page, record } = await openPage(run.browser, run.app.url);
    await page.goto(`/w/${workspace.id}/cache`);
    await signIn(page, member.email, member.password);
    await page.getByRole("heading", { level: 1, name: "Cache" }).waitFor();
    await page.getByText("The cache page is for owners and admins.", { exact: false }).waitFor();
    expect(
      await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Cache" }).count(),
    ).toBe(0);
    expect(await page.getByRole("button", { name: "Warm up cache" }).count()).toBe(0);
    expect(record.errors).toEqual([]);
    await context.close();
  });
});
