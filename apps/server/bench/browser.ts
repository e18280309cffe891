/**
 * Chromium for the page-ready figures of the benchmarks: playwright-core (the web app's
 * dependency) driving /usr/bin/chromium against the bench server, signed in as a member of
 * the bench workspace, and a timer that reads when a page's ready marker appeared.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { BenchEnv } from "./env";
import { repoRoot } from "./env";
import { note, round } from "./load";

export const WEB_DIST = join(repoRoot, "apps/web/dist");

/** The slice of playwright-core used here (typed locally: it is apps/web's dependency, not this package's). */
interface Locator {
  click(): Promise<void>;
  fill(value: string): Promise<void>;
  waitFor(): Promise<void>;
}
export interface BenchPage {
  goto(url: string, options?: { waitUntil?: "commit" }): Promise<unknown>;
  getByRole(role: string, options: { name: string }): Locator;
  getByLabel(label: string): Locator;
  addInitScript(script: string): Promise<void>;
  waitForURL(url: string): Promise<void>;
  waitForFunction(
    fn: () => unknown,
    arg: undefined,
    options: { timeout: number },
  ): Promise<{ jsonValue(): Promise<unknown> }>;
}
interface ChromiumLauncher {
  launch(options: { executablePath: string; args: string[]; headless: boolean }): Promise<{
    newContext(options: {
      baseURL: string;
      viewport: { width: number; height: number };
    }): Promise<{ setDefaultTimeout(ms: number): void; newPage(): Promise<BenchPage>; close(): Promise<void> }>;
    close(): Promise<void>;
  }>;
}

/**
 * Runs `body` with a Chromium page signed in as a new member of the bench workspace (the
 * bench user's password is not known here: a second account registers through the UI and
 * accepts an invitation), or says why it cannot (`buildHint`: how the SPA gets built).
 */
export async function withMemberPage<T>(
  env: BenchEnv,
  buildHint: string,
  body: (page: BenchPage) => Promise<T>,
): Promise<T | { skipped: string }> {
  if (!existsSync(join(WEB_DIST, "index.html"))) return { skipped: `apps/web/dist is not built (${buildHint})` };
  const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(chromiumPath)) return { skipped: `no Chromium at ${chromiumPath}` };
  // playwright-core is the web app's dev dependency; resolve it from there.
  const loaded = (await import(createRequire(join(repoRoot, "apps/web/package.json")).resolve("playwright-core"))) as {
    chromium?: ChromiumLauncher;
    default?: { chromium: ChromiumLauncher };
  };
  const chromium = (loaded.chromium ?? loaded.default?.chromium)!;
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    headless: true,
  });
  try {
    const context = await browser.newContext({ baseURL: env.url, viewport: { width: 1280, height: 1000 } });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    const email = `bench-page-${env.runId}@bench.example`;
    const password = `bench-page-${env.runId}-password`;
    await page.goto("/");
    await page.getByRole("button", { name: "Create an account" }).click();
    await page.getByLabel("Name").fill("Page Bench");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    // Membership by consent: the bench user invites the new account, which accepts on the invitation page.
    const invited = await fetch(`${env.url}/trpc/invitations.invite`, {
      method: "POST",
      headers: { ...env.headers, "content-type": "application/json" },
      body: JSON.stringify({ workspaceId: env.workspaceId, email, role: "member" }),
    });
    if (!invited.ok) throw new Error(`invitations.invite answered ${invited.status}`);
    const { result } = (await invited.json()) as { result: { data: { link: string } } };
    await page.goto(result.data.link);
    await page.getByRole("button", { name: "Accept invitation" }).click();
    await page.waitForURL(`**/w/${env.workspaceId}/**`);
    const value = await body(page);
    await context.close();
    return value;
  } finally {
    await browser.close();
  }
}

/**
 * Makes every later navigation of `page` record in `window.__readyAt` the moment (ms since
 * navigation start) `isReady` — the body of a function of no arguments, run in the page on
 * every DOM change — first returns true.
 */
export async function watchReady(page: BenchPage, isReady: string): Promise<void> {
  await page.addInitScript(`(() => {
    const ready = () => { ${isReady} };
    const check = () => {
      if (window.__readyAt !== undefined) return;
      if (ready()) { window.__readyAt = performance.now(); observer.disconnect(); }
    };
    const observer = new MutationObserver(check);
    observer.observe(document, { childList: true, subtree: true, attributes: true });
  })();`);
}

/** Loads `path` from a blank page and answers how long after navigation start the page was ready (see watchReady). */
export async function timeToReady(page: BenchPage, path: string, label: string): Promise<number> {
  await page.goto("about:blank");
  await page.goto(path, { waitUntil: "commit" });
  const handle = await page.waitForFunction(
    () => (globalThis as unknown as { __readyAt?: number }).__readyAt,
    undefined,
    { timeout: 60_000 },
  );
  const ms = round((await handle.jsonValue()) as number, 1);
  note(`${label}: ready after ${ms} ms`);
  return ms;
}
