/**
 * E2E harness: the real runtime + HTTP server in this process (fresh Postgres
 * database cloned from the migrated template, its own Redis prefix, the built
 * SPA from apps/web/dist served on the API port) and Debian's Chromium driven
 * by playwright-core.
 *
 * Nothing is built here: `pnpm test` builds the SPA before Vitest starts.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { systemClock } from "@rapport/api";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { createTestApp, type TestApp, type TestAppOptions, type TestDriver } from "../../../server/test/support/app";

const here = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(here, "../../../..");
const WEB_DIST = resolve(REPO_ROOT, "apps/web/dist");
const ARTIFACTS = resolve(REPO_ROOT, "e2e-artifacts");
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

function assertBuiltSpa(): void {
  if (!existsSync(join(WEB_DIST, "index.html"))) {
    throw new Error(
      `${WEB_DIST}/index.html is missing: build the SPA first (pnpm --filter @rapport/web build; \`pnpm test\` does this).`,
    );
  }
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium (.ci/run does this), or set CHROMIUM_PATH.`,
    );
  }
}

/** The real server with the built SPA, on a fresh database and Redis prefix, with real time. */
export function startServer(options: TestAppOptions = {}): Promise<TestApp> {
  assertBuiltSpa();
  return createTestApp({
    clock: systemClock,
    ...options,
    env: { WEB_DIST_DIR: WEB_DIST, ...options.env },
  });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** What each page's browser test runs on: Postgres with Redis, and the embedded default (PGlite, no Redis). */
export const E2E_DRIVERS: readonly TestDriver[] = ["postgres", "pglite"];

/**
 * A server (`options`) and a browser for the calling describe block: started before its tests
 * and before the hooks it registers later, closed after them. Read them inside tests and hooks.
 */
export function serverAndBrowser(options: TestAppOptions): { readonly app: TestApp; readonly browser: Browser } {
  const run = {} as { app: TestApp; browser: Browser };
  beforeAll(async () => {
    [run.app, run.browser] = await Promise.all([startServer(options), launchBrowser()]);
  });
  afterAll(async () => {
    await run.browser?.close();
    await run.app?.close();
  });
  return run;
}

interface PageErrors {
  /** Uncaught exceptions and console errors seen on the page (excluding expected HTTP 4xx noise). */
  errors: string[];
}

const CSP_VIOLATION = "securitypolicyviolation:";

/** A new context + page that records uncaught page errors and Content-Security-Policy violations. */
export async function openPage(browser: Browser, baseURL: string, viewport = { width: 1280, height: 800 }) {
  const context: BrowserContext = await browser.newContext({
    baseURL,
    viewport,
    locale: "en-US",
    timezoneId: "Europe/Berlin",
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  // The server's Content-Security-Policy must let the whole dashboard run: any violation
  // (a blocked script, style, image or request) is a page error.
  await context.addInitScript((prefix) => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(
        `${prefix} ${event.effectiveDirective} blocked ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`,
      );
    });
  }, CSP_VIOLATION);
  const page = await context.newPage();
  const record: PageErrors = { errors: [] };
  page.on("pageerror", (error) => record.errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && message.text().startsWith(CSP_VIOLATION)) record.errors.push(message.text());
  });
  return { context, page, record };
}

/** Fills the sign-in page the app shows to a signed-out visitor, and waits until signed in. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole("heading", { name: "Sign in to Rapport" }).waitFor();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  // The signed-in top bar; its "Menu" button is hidden on wide screens, its "Sign out" inside the menu on phones.
  await page.getByRole("button", { name: "Menu", includeHidden: true }).waitFor({ state: "attached" });
}

/** A screenshot's name for a test run on `driver`: the Postgres run's plain, the others' suffixed, so neither overwrites the other. */
export function artifactName(name: string, driver: TestDriver): string {
  return driver === "postgres" ? name : `${name}-${driver}`;
}

/** The whole page, or only `part` of it (one section, say). */
export async function screenshot(page: Page, name: string, part?: Locator): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  if (part) await part.screenshot({ path });
  else await page.screenshot({ path, fullPage: true });
  return path;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: string[]; html: string; failureSummary?: string }[];
}

/** Runs axe-core (WCAG 2.x A/AA + best practices) in the page; returns serious and critical violations. */
async function axeSeriousViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== "undefined");
  // Evaluated through the DevTools protocol: an inline <script> would be (rightly) refused by the CSP.
  if (!loaded) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (context: unknown, options: unknown) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
      resultTypes: ["violations"],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })),
    }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

function formatViolations(where: string, violations: AxeViolation[]): string {
  if (violations.length === 0) return `${where}: no serious or critical axe violations`;
  const lines = [`${where}: ${violations.length} serious/critical axe violation(s)`];
  for (const v of violations) {
    lines.push(`  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`);
    for (const node of v.nodes.slice(0, 5)) {
      lines.push(`      ${node.target.join(" ")}  ${node.html.slice(0, 160)}`);
      if (node.failureSummary) lines.push(`        ${node.failureSummary.replace(/\n/g, "\n        ")}`);
    }
  }
  return lines.join("\n");
}

/** Asserts no serious/critical violations, printing them all when there are some. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeSeriousViolations(page);
  const report = formatViolations(where, violations);
  console.log(report);
  if (violations.length > 0) throw new Error(report);
}
