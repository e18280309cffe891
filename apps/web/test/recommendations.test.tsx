/**
 * Recommendations dashboard: the "Suggested connections" panel on a contact page and
 * the cache admin page (figures, warm-up progress, invalidation, roles).
 * Only fetch is faked (support/fake-server.ts); everything else is the real SPA.
 */
import { screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { domainError } from "./support/fake-server";
import { contact, interaction, WORKSPACE_ID, type Contact } from "./support/fixtures";
import { renderApp } from "./support/render";
import type { RouterOutputs } from "../src/trpc";
import { useFakeTimersFollowingRealTime } from "./support/timers";

afterEach(() => {
  vi.useRealTimers();
});

type Suggestion = RouterOutputs["recommendations"]["forContact"]["items"][number];

function suggestion(person: Contact, score: number, reasons: string[]): Suggestion {
  return { contactId: person.id, name: person.name, company: person.company, score, reasons };
}

/** recommendations.forContact's answer, as the server sends it. */
function recommendationList(contactId: string, items: Suggestion[], { cached = false, includeKnown = false } = {}) {
  return {
    contactId,
    k: 20,
    includeKnown,
    items,
    cached,
    source: cached ? "l2" : "compute",
    asOf: new Date("2026-03-01T00:00:00Z"),
    computedAt: new Date("2026-03-01T09:30:00Z"),
  };
}

/** The suggestions themselves (the list's own items, not the nested reasons). */
function suggestionItems(list: HTMLElement): HTMLElement[] {
  return Array.from(list.children) as HTMLElement[];
}

describe("Suggested connections panel", () => {
  it("shows the top 3 suggestions (up to 10 after Show more) with link, company, score and reasons; the toggle asks again with includeKnown", async () => {
    const ada = contact({ name: "Ada Lovelace", company: "Analytical Engines" });
    const carla = contact({ name: "Carla Diaz", company: "Initech" });
    const dan = contact({ name: "Dan Brooks", company: "Analytical Engines" });
    const ben = contact({ name: "Ben Known", company: null });
    const others = Array.from({ length: 10 }, (_, i) => contact({ name: `Other ${i + 1}` }));
    const everyone = new Map([ada, carla, dan, ben, ...others].map((person) => [person.id, person]));
    const unknown = [
      suggestion(carla, 0.8734, ["1 shared thread with Ben Known", "2 more mutual contacts"]),
      suggestion(dan, 0.230769, ["same company: Analytical Engines"]),
      ...others.map((person, i) => suggestion(person, 0.2 - i / 100, [`1 shared meeting with Ben Known`])),
    ];

    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${ada.id}`,
      handlers: {
        "contacts.get": (input: { contactId: string }) => everyone.get(input.contactId),
        "interactions.listForContact": () => ({ items: [], nextCursor: null }),
        "recommendations.forContact": (input: { contactId: string; includeKnown: boolean }) =>
          input.includeKnown
            ? recommendationList(
                input.contactId,
                [suggestion(ben, 0.9, ["already in touch: 2 shared threads"]), ...unknown],
                { includeKnown: true },
              )
            : recommendationList(input.contactId, unknown, { cached: true }),
      },
    });

    const region = await screen.findByRole("region", { name: "Suggested connections" });
    expect(within(region).getByRole("heading", { level: 2, name: "Suggested connections" })).toBeInTheDocument();
    const list = await within(region).findByRole("list", { name: "Suggestions for Ada Lovelace" });

    // The best 3 first; "Show more" opens up to 10 of the 12 the server ranked, best first.
    expect(suggestionItems(list)).toHaveLength(3);
    const more = within(region).getByRole("button", { name: "Show 7 more" });
    expect(more).toHaveAttribute("aria-expanded", "false");
    await user.click(more);
    expect(more).toHaveAttribute("aria-expanded", "true");
    expect(more).toHaveTextContent("Show fewer");
    const items = suggestionItems(list);
    expect(items).toHaveLength(10);
    const first = items[0]!;
    const link = within(first).getByRole("link", { name: "Carla Diaz" });
    expect(link).toHaveAttribute("href", `/w/${WORKSPACE_ID}/contacts/${carla.id}`);
    expect(first).toHaveTextContent("Initech");
    expect(first).toHaveTextContent("87% match");
    const reasons = within(first).getByRole("list", { name: "Reasons" });
    expect(
      within(reasons)
        .getAllByRole("listitem")
        .map((item) => item.textContent),
    ).toEqual(["1 shared thread with Ben Known", "2 more mutual contacts"]);
    expect(items[1]).toHaveTextContent("Dan Brooks");
    expect(items[1]).toHaveTextContent("Same company: Analytical Engines");
    expect(items[1]).toHaveTextContent("23% match");
    expect(within(region).getByText("from cache")).toBeInTheDocument();
    expect(within(region).queryByText("Ben Known", { selector: "a" })).toBeNull();

    // The panel asks for the default list (the one warm-up precomputes).
    expect(server.callsTo("recommendations.forContact")[0]!.input).toEqual({
      workspaceId: WORKSPACE_ID,
      contactId: ada.id,
      k: 20,
      includeKnown: false,
    });

    // Include people they already know.
    const toggle = within(region).getByRole("checkbox", { name: "Include people they already know" });
    expect(toggle).not.toBeChecked();
    await user.click(toggle);
    expect(toggle).toBeChecked();
    const known = await within(region).findByRole("link", { name: "Ben Known" });
    expect(suggestionItems(list)[0]).toContainElement(known);
    expect(suggestionItems(list)[0]).toHaveTextContent("Already in touch: 2 shared threads");
    expect(server.callsTo("recommendations.forContact").at(-1)!.input).toMatchObject({ includeKnown: true });
    // Computed for this request, not from the cache.
    await waitFor(() => expect(within(region).queryByText("from cache")).toBeNull());

    // A suggestion opens that contact's page.
    await user.click(within(region).getByRole("link", { name: "Carla Diaz" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Carla Diaz" })).toBeInTheDocument();
    expect(window.location.pathname).toBe(`/w/${WORKSPACE_ID}/contacts/${carla.id}`);
    expect(server.unhandled).toEqual([]);
  });

  it("shows an error with Try again, then the empty state", async () => {
    const ada = contact({ name: "Ada Lovelace" });
    const { user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${ada.id}`,
      handlers: {
        "contacts.get": () => ada,
        "interactions.listForContact": () => ({ items: [], nextCursor: null }),
        "recommendations.forContact": (input: { contactId: string }, { call }: { call: number }) => {
          if (call === 1) throw domainError("NOT_FOUND", "Contact not found");
          return recommendationList(input.contactId, []);
        },
      },
    });

    const region = await screen.findByRole("region", { name: "Suggested connections" });
    const alert = await within(region).findByRole("alert");
    expect(alert).toHaveTextContent("Could not load suggestions: Contact not found");
    await user.click(within(alert).getByRole("button", { name: "Try again" }));
    expect(
      await within(region).findByText("No suggestions yet — log emails or meetings with other contacts"),
    ).toBeInTheDocument();
    expect(within(region).queryByRole("alert")).toBeNull();
    expect(within(region).queryByText("from cache")).toBeNull();
  });

  it("asks again after an interaction is logged on the page (suggestions depend on interactions)", async () => {
    const ada = contact({ name: "Ada Lovelace" });
    const ben = contact({ name: "Ben Ortiz" });
    let logged = false;
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${ada.id}`,
      handlers: {
        "contacts.get": () => ada,
        "interactions.listForContact": () => ({ items: [], nextCursor: null }),
        "interactions.create": (input: Record<string, unknown>) => {
          logged = true;
          const { participants: _, ...row } = interaction({
            contactId: ada.id,
            type: "email",
            subject: input.subject as string,
          });
          return { interaction: row, created: true };
        },
        "recommendations.forContact": (input: { contactId: string }) =>
          recommendationList(
            input.contactId,
            logged ? [suggestion(ben, 0.5, ["already in touch: 1 shared thread"])] : [],
          ),
      },
    });
    const region = await screen.findByRole("region", { name: "Suggested connections" });
    await within(region).findByText(/No suggestions yet/);
    const before = server.callsTo("recommendations.forContact").length;

    await user.click(screen.getByRole("button", { name: "Log interaction" }));
    await user.type(screen.getByLabelText("Subject"), "Intro");
    await user.click(screen.getByRole("button", { name: "Save interaction" }));
    expect(await within(region).findByRole("link", { name: "Ben Ortiz" })).toBeInTheDocument();
    expect(server.callsTo("recommendations.forContact").length).toBe(before + 1);
  });

  it("says it is loading while the first answer is on its way", async () => {
    const ada = contact({ name: "Ada Lovelace" });
    let release: () => void = () => {};
    const answered = new Promise<void>((resolve) => (release = resolve));
    await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${ada.id}`,
      handlers: {
        "contacts.get": () => ada,
        "interactions.listForContact": () => ({ items: [], nextCursor: null }),
        "recommendations.forContact": async (input: { contactId: string }) => {
          await answered;
          return recommendationList(input.contactId, []);
        },
      },
    });
    const region = await screen.findByRole("region", { name: "Suggested connections" });
    expect(await within(region).findByRole("status")).toHaveTextContent("Loading suggestions…");
    // The contact itself is not held back by the slow suggestions (they travel on their own request).
    expect(screen.getByRole("heading", { level: 1, name: "Ada Lovelace" })).toBeInTheDocument();
    release();
    expect(await within(region).findByText(/No suggestions yet/)).toBeInTheDocument();
  });
});

// ---------------------------------------------------------------------------- cache page

const NOW = Date.now();
const minute = (n: number) => new Date(Math.floor(NOW / 60_000) * 60_000 - (59 - n) * 60_000);

/** cache.stats as the server answers it (Redis reachable: a 60-minute series). */
function stats(overrides: Record<string, unknown> = {}) {
  return {
    workspaceId: WORKSPACE_ID,
    hits: 820,
    misses: 180,
    hitRate: 0.82,
    hitsL1: 600,
    hitsL2: 220,
    computations: 170,
    coalesced: 10,
    lockWaits: 2,
    staleRejected: 0,
    bypassed: 0,
    redisErrors: 0,
    getLatency: { count: 1000, avgMs: 0.42, p95Ms: 2, bucketsMs: [] },
    evictions: { local: 3, redis: 4 },
    instanceOnly: false,
    generation: 7,
    recommendationsCached: 137,
    workspaceKeys: 140,
    keysUnderPrefix: 2048,
    keyCountApproximate: false,
    redisMemoryBytes: 3 * 1024 * 1024,
    l1: { entries: 40, bytesAllInstance: 512 * 1024, maxBytes: 64 * 1024 * 1024 },
    series: Array.from({ length: 60 }, (_, i) => ({
      startsAt: minute(i),
      hits: i % 3 === 0 ? 0 : 8,
      misses: i % 3 === 0 ? 0 : 2,
    })),
    statsSince: new Date(NOW - 86_400_000),
    configured: true,
    degraded: false,
    degradedSince: null,
    detail: null,
    ...overrides,
  };
}

const JOB = `warmup-${WORKSPACE_ID}-5f1c`;

function warmupStatus(
  state: string,
  progress: number,
  result?: { contactsCached: number; recommendationsGenerated: number; timeTakenSec: number },
) {
  return {
    jobId: JOB,
    state,
    progress,
    failedReason: null,
    contactsCached: result?.contactsCached ?? null,
    recommendationsGenerated: result?.recommendationsGenerated ?? null,
    timeTakenSec: result?.timeTakenSec ?? null,
  };
}

const cacheHandlers = {
  "cache.stats": () => stats(),
  "cache.keys": () => ({
    keys: [
      {
        key: `rec:${WORKSPACE_ID}:7:00000000-0000-4000-8000-000000000001:20`,
        namespace: "rec",
        generation: 7,
        current: true,
        ttlSeconds: 3600,
      },
    ],
    nextCursor: null,
    status: "ok",
  }),
};

describe("Cache page", () => {
  it("shows the figures and runs a warm-up with a progress bar until it completes", async () => {
    useFakeTimersFollowingRealTime();
    const progression = [warmupStatus("active", 40), warmupStatus("active", 80)];
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/cache`,
      handlers: {
        ...cacheHandlers,
        "cache.warmup": () => warmupStatus("waiting", 0),
        "cache.warmupStatus": (_input: unknown, { call }: { call: number }) =>
          progression[call - 1] ??
          warmupStatus("completed", 100, { contactsCached: 37, recommendationsGenerated: 512, timeTakenSec: 1.24 }),
      },
    });

    expect(await screen.findByRole("heading", { level: 1, name: "Cache" })).toBeInTheDocument();
    const nav = screen.getByRole("navigation", { name: "Workspace sections" });
    expect(within(nav).getByRole("link", { name: "Cache" })).toHaveAttribute("aria-current", "page");

    // The figures.
    const figure = async (term: string) => (await screen.findByText(term, { selector: "dt" })).closest("div")!;
    expect(await figure("Hit rate")).toHaveTextContent("82.0%");
    expect(await figure("Memory used")).toHaveTextContent("3.0 MB");
    expect(await figure("Total keys")).toHaveTextContent("2,048");
    expect(await figure("Recommendations cached")).toHaveTextContent("137");
    expect(await figure("Evictions")).toHaveTextContent("7");
    expect(await figure("Average get latency")).toHaveTextContent("0.42 ms");
    expect(await figure("p95 get latency")).toHaveTextContent("≤ 2.0 ms");
    expect(await figure("Status")).toHaveTextContent("Healthy");
    expect(screen.getByRole("heading", { level: 2, name: "Hit rate over time" })).toBeInTheDocument();
    expect(screen.getByText(/per minute over the last 60 minutes/)).toBeInTheDocument();
    expect(screen.queryByText(/since this page opened/)).toBeNull();

    // Warm up.
    expect(screen.queryByRole("progressbar")).toBeNull();
    const statsCallsBefore = server.callsTo("cache.stats").length;
    await user.click(screen.getByRole("button", { name: "Warm up cache" }));
    const bar = await screen.findByRole("progressbar", { name: "Warm-up progress" });
    expect(bar).toHaveAttribute("aria-valuemin", "0");
    expect(bar).toHaveAttribute("aria-valuemax", "100");
    expect(screen.getByRole("button", { name: "Warming up…" })).toBeDisabled();
    await waitFor(() => expect(bar).toHaveAttribute("aria-valuenow", "40"), { timeout: 3_000 });
    await waitFor(() => expect(bar).toHaveAttribute("aria-valuenow", "80"), { timeout: 3_000 });
    await waitFor(() => expect(bar).toHaveAttribute("aria-valuenow", "100"), { timeout: 3_000 });

    const done = await screen.findByText("Warm-up complete");
    const result = done.closest("[role=status]") as HTMLElement;
    expect(within(result).getByText("Contacts cached").nextElementSibling).toHaveTextContent("37");
    expect(within(result).getByText("Recommendations generated").nextElementSibling).toHaveTextContent("512");
    expect(within(result).getByText("Time taken").nextElementSibling).toHaveTextContent("1.24 s");
    expect(screen.getByRole("button", { name: "Warm up cache" })).toBeEnabled();

    expect(server.callsTo("cache.warmup")[0]!.input).toEqual({ workspaceId: WORKSPACE_ID, limit: 100 });
    expect(
      server
        .callsTo("cache.warmupStatus")
        .every((call) => call.input.jobId === JOB && call.input.workspaceId === WORKSPACE_ID),
    ).toBe(true);
    // Finished: the figures are fetched again and the polling stops.
    await waitFor(() => expect(server.callsTo("cache.stats").length).toBeGreaterThan(statsCallsBefore));
    const polls = server.callsTo("cache.warmupStatus").length;
    expect(polls).toBe(3);
    await vi.advanceTimersByTimeAsync(1_200);
    expect(server.callsTo("cache.warmupStatus")).toHaveLength(polls);
    expect(server.unhandled).toEqual([]);
  });

  it("invalidates the workspace cache after a confirmation", async () => {
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/cache`,
      role: "admin",
      handlers: { ...cacheHandlers, "cache.invalidateWorkspace": () => ({ invalidatedKeys: 12, status: "ok" }) },
    });
    await user.click(await screen.findByRole("button", { name: "Invalidate workspace cache" }));
    const dialog = await screen.findByRole("dialog", { name: "Invalidate the workspace cache?" });
    // Cancel first: nothing happens.
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(server.callsTo("cache.invalidateWorkspace")).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Invalidate workspace cache" }));
    await user.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "Yes, invalidate" }));
    expect(await screen.findByText(/Cache invalidated: 12 keys removed/)).toBeInTheDocument();
    expect(server.callsTo("cache.invalidateWorkspace")[0]!.input).toEqual({ workspaceId: WORKSPACE_ID });
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  it("browses the keys page by page (explicit SCAN cursor), filters them and deletes one", async () => {
    const key = (n: number) => `rec:${WORKSPACE_ID}:7:00000000-0000-4000-8000-${String(n).padStart(12, "0")}:20`;
    const row = (n: number) => ({ key: key(n), namespace: "rec", generation: 7, current: true, ttlSeconds: 600 });
    const deleted = new Set<string>();
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/cache`,
      handlers: {
        ...cacheHandlers,
        "cache.keys": (input: { cursor: string | null; pattern: string }) => {
          if (input.pattern !== "*") return { keys: [row(9)], nextCursor: null, status: "ok" };
          const page =
            input.cursor === null
              ? { keys: [row(1), row(2)], nextCursor: "42" }
              : { keys: [row(2), row(3)], nextCursor: null };
          return { ...page, keys: page.keys.filter((entry) => !deleted.has(entry.key)), status: "ok" };
        },
        "cache.deleteKey": (input: { key: string }) => {
          deleted.add(input.key);
          return { deleted: true, status: "ok" };
        },
      },
    });
    const table = await screen.findByRole("table", { name: "Cache keys of this workspace" });
    await within(table).findByText(key(1));
    // Exactly what cache.keys' strict schema accepts (no `direction`, which tRPC's infinite queries add).
    expect(server.callsTo("cache.keys")[0]!.input).toEqual({
      workspaceId: WORKSPACE_ID,
      pattern: "*",
      limit: 50,
      cursor: null,
    });

    await user.click(screen.getByRole("button", { name: "Load more" }));
    await within(table).findByText(key(3));
    expect(server.callsTo("cache.keys").at(-1)!.input).toEqual({
      workspaceId: WORKSPACE_ID,
      pattern: "*",
      limit: 50,
      cursor: "42",
    });
    // Key 2 came back on both pages: listed once. No further page.
    expect(within(table).getAllByText(key(2))).toHaveLength(1);
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();

    const deleteButton = within(table).getAllByRole("button", { name: "Delete" })[0]!;
    expect(deleteButton).toHaveAccessibleDescription(key(1));
    await user.click(deleteButton);
    expect(await screen.findByText(`Deleted ${key(1)}.`)).toBeInTheDocument();
    expect(server.callsTo("cache.deleteKey")[0]!.input).toEqual({ workspaceId: WORKSPACE_ID, key: key(1) });
    await waitFor(() => expect(within(table).queryByText(key(1))).toBeNull());

    const patternBox = screen.getByRole("textbox", { name: "Key pattern" });
    await user.clear(patternBox);
    await user.type(patternBox, "rec:*9*");
    await user.click(screen.getByRole("button", { name: "Search keys" }));
    expect(await screen.findByText(key(9))).toBeInTheDocument();
    expect(server.callsTo("cache.keys").at(-1)!.input).toEqual({
      workspaceId: WORKSPACE_ID,
      pattern: "rec:*9*",
      limit: 50,
      cursor: null,
    });
  });

  it("says when the cache is degraded, since when, and charts samples taken since the page opened", async () => {
    const since = new Date(NOW - 5 * 60_000);
    await renderApp({
      path: `/w/${WORKSPACE_ID}/cache`,
      handlers: {
        ...cacheHandlers,
        "cache.stats": () =>
          stats({
            degraded: true,
            degradedSince: since,
            detail: "Redis unreachable: connect ECONNREFUSED",
            instanceOnly: true,
            series: [],
            generation: null,
            recommendationsCached: null,
            workspaceKeys: null,
            keysUnderPrefix: null,
            redisMemoryBytes: null,
            evictions: { local: 0, redis: null },
          }),
      },
    });
    const banner = await screen.findByText(/^Cache degraded since/);
    expect(banner.closest("[role=status]")).toHaveTextContent("Redis unreachable: connect ECONNREFUSED");
    expect(banner).toHaveTextContent("5 minutes ago");
    expect(screen.getByText(/The server keeps no history right now/)).toHaveTextContent("since this page opened");
    const status = (await screen.findByText("Status", { selector: "dt" })).closest("div")!;
    expect(status).toHaveTextContent("Degraded");
    expect((await screen.findByText("Memory used", { selector: "dt" })).closest("div")).toHaveTextContent("—");
  });

  it("is for owners and admins: members get no nav link and no cache calls", async () => {
    const { server } = await renderApp({ path: `/w/${WORKSPACE_ID}/cache`, role: "member", handlers: cacheHandlers });
    expect(await screen.findByText(/The cache page is for owners and admins/)).toBeInTheDocument();
    const nav = screen.getByRole("navigation", { name: "Workspace sections" });
    expect(within(nav).queryByRole("link", { name: "Cache" })).toBeNull();
    expect(server.callsTo("cache.stats")).toHaveLength(0);
  });
});
