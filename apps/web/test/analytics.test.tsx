import {
  computeAnalyticsSnapshot,
  DEFAULT_ANALYTICS_SETTINGS,
  toMetrics,
  toTopContacts,
  type AnalyticsContactRow,
  type AnalyticsInteractionRow,
} from "@rapport/core";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";

/**
 * The analytics page against a fake server whose answers come from the real
 * core computation (packages/core/src/analytics) on a small workspace. Charts
 * cannot draw in jsdom (no canvas); their text alternatives and data tables
 * are what is checked here (the E2E test draws them in Chromium).
 */
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 30, 12);
const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
const contacts: AnalyticsContactRow[] = ["Ada Lovelace", "Grace Hopper", "Alan Turing"].map((name, i) => ({
  id: id(i + 1),
  name,
  email: `${name.split(" ")[0]!.toLowerCase()}@example.com`,
  company: "Engines Ltd",
  createdAt: NOW - 200 * DAY,
  deletedAt: null,
}));
const interactions: AnalyticsInteractionRow[] = [
  ...Array.from(
    { length: 12 },
    (_, k): AnalyticsInteractionRow => ({ contactId: id(1), type: "meeting", occurredAt: NOW - (k + 1) * 5 * DAY }),
  ),
  { contactId: id(2), type: "email", occurredAt: NOW - 3 * DAY },
  { contactId: id(2), type: "call", occurredAt: NOW - 45 * DAY },
];
const snapshot = computeAnalyticsSnapshot({ contacts, interactions, settings: DEFAULT_ANALYTICS_SETTINGS, asOf: NOW });
const metrics = {
  ...toMetrics(snapshot, { sortBy: "clv", limit: 10 }),
  sortBy: "clv",
  cached: false,
  computedAt: new Date(NOW),
};
const top = (sortBy: "clv" | "interactions" | "recency" | "health") => ({
  asOf: new Date(NOW),
  sortBy,
  items: toTopContacts(snapshot, sortBy, 25),
  cached: true,
  computedAt: new Date(NOW),
});
const series = {
  from: new Date(NOW - 30 * DAY),
  to: new Date(NOW),
  bucket: "day" as const,
  timeZone: "UTC",
  buckets: Array.from({ length: 30 }, (_, i) => ({
    startsAt: new Date(NOW - (30 - i) * DAY),
    email: i % 3,
    meeting: i % 5 === 0 ? 1 : 0,
    call: 0,
    linkedin: 0,
    note: 0,
    total: (i % 3) + (i % 5 === 0 ? 1 : 0),
  })),
  totals: { email: 29, meeting: 6, call: 0, linkedin: 0, note: 0, total: 35 },
  cached: false,
  computedAt: new Date(NOW),
};
const handlers = {
  "analytics.metrics": () => metrics,
  "analytics.topContacts": (input: { sortBy: "clv" | "interactions" | "recency" | "health" }) => top(input.sortBy),
  "analytics.timeseries": () => series,
};
const path = `/w/${WORKSPACE_ID}/analytics`;

/** jsdom has no canvas: a 2D context that accepts every drawing call and draws nothing. */
function fakeContext(canvas: HTMLCanvasElement) {
  const state: Record<string | symbol, unknown> = {
    canvas,
    measureText: (text: string) => ({
      width: String(text).length * 7,
      actualBoundingBoxAscent: 9,
      actualBoundingBoxDescent: 3,
    }),
    createLinearGradient: () => ({ addColorStop() {} }),
    getImageData: () => ({ data: new Uint8ClampedArray(4) }),
    getLineDash: () => [],
    getTransform: () => ({ a: 1, b: 0, c: 0, d: 1, e: 0, f: 0 }),
  };
  return new Proxy(state, {
    get: (target, key) => (key in target ? target[key] : () => {}),
    set: (target, key, value) => {
      target[key] = value;
      return true;
    },
  });
}

beforeEach(() => {
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation(function (this: HTMLCanvasElement) {
    return fakeContext(this) as unknown as CanvasRenderingContext2D;
  } as never);
});
afterEach(() => vi.restoreAllMocks());

describe("analytics page", () => {
  it("loads, then shows the key figures, the charts' summaries and the top contacts", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    await renderApp({
      path,
      handlers: {
        ...handlers,
        "analytics.metrics": async () => {
          await gate;
          return metrics;
        },
      },
    });
    expect((await screen.findAllByText("Loading analytics…"))[0]!.closest("[role=status]")).toHaveAttribute(
      "aria-busy",
      "true",
    );
    release();

    const clv = await screen.findByRole("group", { name: "Average CLV" });
    // Ada: 12 meetings ($600); Grace: an email and a call ($35); Alan: nothing. Average $211.67.
    expect(clv).toHaveTextContent("$211.67");
    // 30 days earlier: Ada 7 meetings, Grace a call → (350 + 25) / 3 = $125.
    expect(clv).toHaveTextContent("▲ +$86.67 vs the previous 30 days");
    expect(screen.getByRole("group", { name: "Interactions (30 days)" })).toHaveTextContent(
      String(metrics.engagement.interactions30d),
    );
    expect(screen.getByRole("group", { name: "Average health" })).toHaveTextContent(`${metrics.health.average} / 100`);

    const health = await screen.findByRole("figure", { name: "Relationship health" });
    expect(health).toHaveTextContent(/Of 3 contacts, \d+ healthy/);
    expect(within(health).getByRole("img")).toHaveAccessibleName(/^Doughnut chart of relationship health/);
    expect(screen.getByRole("figure", { name: "CLV distribution" })).toHaveTextContent(
      "CLV of 3 contacts: 2 low (under $100.00), 0 medium ($100.00–$500.00), 1 high ($500.00 and up).",
    );

    const table = screen.getByRole("table", { name: "Top contacts" });
    const links = within(table).getAllByRole("link");
    expect(links.map((link) => link.textContent)).toEqual(["Ada Lovelace", "Grace Hopper", "Alan Turing"]);
    expect(links[0]).toHaveAttribute("href", `/w/${WORKSPACE_ID}/contacts/${id(1)}`);
    expect(within(table).getByRole("columnheader", { name: /CLV/ })).toHaveAttribute("aria-sort", "descending");
  });

  it("keeps allowed query values and shows the view they describe", async () => {
    const { server } = await renderApp({ path: `${path}?asOf=2026-01-15&range=365&sort=health`, handlers });
    await screen.findByRole("table", { name: "Top contacts" });
    expect(server.callsTo("analytics.topContacts")[0]?.input).toMatchObject({ sortBy: "health" });
    expect(server.callsTo("analytics.timeseries")[0]?.input).toMatchObject({ bucket: "week" });
    expect(screen.getByLabelText("As of")).toHaveValue("2026-01-15");
    expect(screen.getByLabelText("Chart range")).toHaveValue("365");
    expect(window.location.search).toBe("?asOf=2026-01-15&range=365&sort=health");
  });

  it("falls back to the defaults for query values it does not allow, and drops them from the address", async () => {
    const { server } = await renderApp({ path: `${path}?asOf=2026-13-45&range=7&sort=name`, handlers });
    await screen.findByRole("table", { name: "Top contacts" });
    // Now, 30 days of daily buckets, top contacts by CLV: the dashboard's defaults.
    expect(server.callsTo("analytics.metrics")[0]?.input.asOf).toBeUndefined();
    expect(server.callsTo("analytics.topContacts")[0]?.input).toMatchObject({ sortBy: "clv" });
    expect(server.callsTo("analytics.timeseries")[0]?.input).toMatchObject({ bucket: "day" });
    expect(screen.getByLabelText("As of")).toHaveValue("");
    expect(screen.getByLabelText("Chart range")).toHaveValue("30");
    await waitFor(() => expect(window.location.search).toBe(""));
    expect(window.location.pathname).toBe(path);
  });

  it("refuses a future as-of day with a message and keeps the view; a past day is taken", async () => {
    const { server } = await renderApp({ path, handlers });
    await screen.findByRole("table", { name: "Top contacts" });
    const asOf = screen.getByLabelText("As of");
    const calls = server.callsTo("analytics.metrics").length;
    const day = (offset: number) => {
      const date = new Date(Date.now() + offset * 86_400_000);
      const pad = (n: number) => String(n).padStart(2, "0");
      return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
    };
    // "Today" is there from the start (disabled), so choosing a day does not shift the controls.
    expect(screen.getByRole("button", { name: "Today" })).toBeDisabled();

    fireEvent.change(asOf, { target: { value: day(3) } });
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent(`${day(3)} is in the future. Pick today or an earlier day.`);
    expect(asOf).toHaveAttribute("aria-invalid", "true");
    expect(asOf).toHaveAccessibleDescription(/is in the future/);
    expect(asOf).toHaveValue(day(3));
    expect(window.location.search).toBe("");
    expect(server.callsTo("analytics.metrics")).toHaveLength(calls);

    fireEvent.change(asOf, { target: { value: day(-10) } });
    await waitFor(() => expect(window.location.search).toBe(`?asOf=${day(-10)}`));
    expect(screen.queryByRole("alert")).toBeNull();
    expect(asOf).not.toHaveAttribute("aria-invalid");
    await waitFor(() => expect(server.callsTo("analytics.metrics").at(-1)?.input.asOf).toBeDefined());
    expect(screen.getByRole("button", { name: "Today" })).toBeEnabled();
  });

  it("sorts the table by another column (kept in the URL)", async () => {
    const { server, user } = await renderApp({ path, handlers });
    const table = await screen.findByRole("table", { name: "Top contacts" });
    await within(table).findByRole("link", { name: "Ada Lovelace" });
    await user.click(within(table).getByRole("button", { name: /Last contact/ }));
    await waitFor(() =>
      expect(server.callsTo("analytics.topContacts").at(-1)?.input).toMatchObject({ sortBy: "recency", limit: 25 }),
    );
    expect(window.location.search).toBe("?sort=recency");
    await waitFor(() =>
      expect(
        within(table)
          .getAllByRole("link")
          .map((l) => l.textContent),
      ).toEqual(["Grace Hopper", "Ada Lovelace", "Alan Turing"]),
    );
    expect(within(table).getByRole("columnheader", { name: /Last contact/ })).toHaveAttribute(
      "aria-sort",
      "descending",
    );
  });

  it("without a canvas (blocked or unsupported) the summaries, data tables and the rest of the page stay", async () => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
    await renderApp({ path, handlers });
    const figure = await screen.findByRole("figure", { name: "Interactions by type, per day" });
    expect(figure).toHaveTextContent("36 interactions from");
    expect(within(figure).getAllByRole("row")).toHaveLength(31); // header + 30 days
    expect(screen.getByRole("group", { name: "Average CLV" })).toHaveTextContent("$211.67");
    expect(await screen.findByRole("link", { name: "Ada Lovelace" })).toBeInTheDocument();
    quiet.mockRestore();
  });

  it("an empty workspace says so and points to the contacts", async () => {
    const empty = computeAnalyticsSnapshot({
      contacts: [],
      interactions: [],
      settings: DEFAULT_ANALYTICS_SETTINGS,
      asOf: NOW,
    });
    await renderApp({
      path,
      handlers: {
        ...handlers,
        "analytics.metrics": () => ({
          ...toMetrics(empty, { sortBy: "clv", limit: 10 }),
          sortBy: "clv",
          cached: false,
          computedAt: new Date(NOW),
        }),
      },
    });
    expect(await screen.findByText("No contacts yet")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Go to contacts" })).toHaveAttribute("href", `/w/${WORKSPACE_ID}/contacts`);
    expect(screen.queryByRole("table", { name: "Top contacts" })).toBeNull();
  });

  it("owners change the interaction values; members do not see the form", async () => {
    const { server, user } = await renderApp({
      path,
      handlers: {
        ...handlers,
        "analytics.setValues": () => ({ ...metrics.settings, revision: 1, updatedAt: new Date(NOW) }),
      },
    });
    await user.click(await screen.findByText("Interaction values"));
    const meeting = screen.getByLabelText("Meeting");
    expect(meeting).toHaveValue(50);
    await user.clear(meeting);
    await user.type(meeting, "75.5");
    await user.click(screen.getByRole("button", { name: "Save values" }));
    await waitFor(() => expect(server.callsTo("analytics.setValues")).toHaveLength(1));
    expect(server.callsTo("analytics.setValues")[0]!.input).toEqual({
      workspaceId: WORKSPACE_ID,
      values: { email: 10, meeting: 75.5, call: 25, linkedin: 5, note: 0 },
      thresholds: { medium: 100, high: 500 },
    });
    expect(await screen.findByText(/Saved \(revision 1\)/)).toBeInTheDocument();
  });

  it("checks the values with the server's schema: mistakes show on their fields and nothing is sent", async () => {
    const { server, user } = await renderApp({
      path,
      handlers: {
        ...handlers,
        "analytics.setValues": () => ({ ...metrics.settings, revision: 1, updatedAt: new Date(NOW) }),
      },
    });
    await user.click(await screen.findByText("Interaction values"));
    const meeting = screen.getByLabelText("Meeting");
    const call = screen.getByLabelText("Call");
    const high = screen.getByLabelText("High from");
    await user.clear(meeting);
    await user.type(meeting, "-5");
    await user.clear(call);
    await user.type(call, "12.345");
    await user.clear(high);
    await user.click(screen.getByRole("button", { name: "Save values" }));

    expect(await screen.findByText("must not be negative")).toBeInTheDocument();
    expect(meeting).toHaveAccessibleDescription("must not be negative");
    expect(call).toHaveAccessibleDescription("at most two decimals (cents)");
    // An emptied field is not read as 0.
    expect(high).toHaveAccessibleDescription("must be a number");
    expect(meeting).toHaveAttribute("aria-invalid", "true");
    expect(server.callsTo("analytics.setValues")).toHaveLength(0);

    await user.clear(meeting);
    await user.type(meeting, "60");
    await user.clear(call);
    await user.type(call, "12.34");
    await user.type(high, "400");
    await user.click(screen.getByRole("button", { name: "Save values" }));
    await waitFor(() => expect(server.callsTo("analytics.setValues")).toHaveLength(1));
    expect(server.callsTo("analytics.setValues")[0]!.input).toEqual({
      workspaceId: WORKSPACE_ID,
      values: { email: 10, meeting: 60, call: 12.34, linkedin: 5, note: 0 },
      thresholds: { medium: 100, high: 400 },
    });
  });

  it("members see no values form", async () => {
    await renderApp({ path, role: "member", handlers });
    await screen.findByRole("table", { name: "Top contacts" });
    expect(screen.queryByText("Interaction values")).toBeNull();
  });
});
