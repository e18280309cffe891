/**
 * Route-level code splitting, checked on the production build (apps/web/dist):
 * the first load (index.html's entry script and its modulepreloads) carries the
 * router, the shell and the sign-in form; every page is a chunk of its own that
 * the entry only imports dynamically, when its route is opened.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), "../dist");

const PAGES = [
  "WorkspacesPage",
  "ContactsListPage",
  "ContactPage",
  "DeletedContactsPage",
  "ActivityPage",
  "MembersPage",
  "AuditPage",
  "CachePage",
  "AnalyticsPage",
  "WorkspacePrivacyPage",
  "PrivacyPage",
  "InvitePage",
  "IntegrationsPage",
  "CompleteGmailPage",
  "WebhooksPage",
  "TodayPage",
  "TasksPage",
];

/** The JavaScript files a first page load fetches: the entry module and its modulepreloads. */
function initialFiles(html: string): string[] {
  const entry = [...html.matchAll(/<script type="module"[^>]*\ssrc="([^"]+)"/g)].map((match) => match[1]!);
  const preloads = [...html.matchAll(/<link rel="modulepreload"[^>]*\shref="([^"]+)"/g)].map((match) => match[1]!);
  return [...entry, ...preloads].map((url) => url.replace(/^\//, ""));
}

describe("code splitting (built SPA)", () => {
  it("loads every page as its own chunk, outside the first load", () => {
    const html = readFileSync(join(DIST, "index.html"), "utf8");
    const initial = initialFiles(html);
    expect(initial.length).toBeGreaterThan(0);
    const initialCode = initial.map((file) => readFileSync(join(DIST, file), "utf8")).join("\n");
    const dynamicImports = [...initialCode.matchAll(/import\(\s*[`"']\.\/([^`"']+)[`"']\s*\)/g)].map(
      (match) => match[1],
    );
    const chunks = readdirSync(join(DIST, "assets")).filter((file) => file.endsWith(".js"));

    for (const page of PAGES) {
      const chunk = chunks.find((file) => file.startsWith(`${page}-`));
      expect(chunk, `a chunk for ${page}`).toBeDefined();
      expect(initial).not.toContain(`assets/${chunk}`);
      // Reached from the first load only through a dynamic import (its route's component).
      expect(dynamicImports).toContain(chunk);
    }
  });
});
