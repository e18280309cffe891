/**
 * Today, follow-ups and the first-run checklist against the fake server: what the
 * page shows from each answer, and exactly what each click sends.
 */
import {
  computeAnalyticsSnapshot,
  DEFAULT_ANALYTICS_SETTINGS,
  toMetrics,
  type AnalyticsContactRow,
} from "@rapport/core";
import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { contact, interaction, USER, WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";

const DAY = 86_400_000;
const TODAY = `/w/${WORKSPACE_ID}/today`;
const ANA = "00000000-0000-4000-8000-00000000a001";
const BEN = "00000000-0000-4000-8000-00000000a002";
const TASK = "00000000-0000-4000-8000-00000000b001";

const now = Date.now();
/** The local calendar day `days` after today, as Date#toDateString gives it. */
const daysFromToday = (days: number) => {
  const day = new Date();
  day.setDate(day.getDate() + days);
  return day.toDateString();
};
const contacts: AnalyticsContactRow[] = [ANA, BEN].map((id, i) => ({
  id,
  name: `Person ${i}`,
  email: null,
  company: null,
  createdAt: now - 100 * DAY,
  deletedAt: null,
}));
const snapshot = computeAnalyticsSnapshot({
  contacts,
  interactions: [{ contactId: ANA, type: "meeting", occurredAt: now - 2 * DAY }],
  settings: DEFAULT_ANALYTICS_SETTINGS,
  asOf: now,
});
const metrics = {
  ...toMetrics(snapshot, { sortBy: "clv", limit: 10 }),
  sortBy: "clv",
  cached: false,
  computedAt: new Date(),
};

function task(overrides: Record<string, unknown> = {}) {
  return {
    id: TASK,
    title: "Send the proposal",
    dueAt: new Date(now - DAY),
    contactId: ANA,
    contactName: "Ana Lima",
    interactionId: null,
    assigneeId: USER.id,
    createdBy: USER.id,
    completedAt: null,
    overdue: true,
    ...overrides,
  };
}

const reconnectItem = {
  contactId: BEN,
  name: "Ben Okafor",
  email: "ben@example.com",
  company: "Globex",
  reason: "usually every 12 days, last contact 31 days ago; was healthy a month ago",
  cadenceDays: 12,
  cadenceSource: "learned",
  daysSinceContact: 31,
  daysSinceClock: 31,
  overdueRatio: 2.6,
  clvCents: 5000,
  healthThen: "healthy",
  score: 13000,
};

function todayHandlers(state: { done: boolean; reconnect: boolean }) {
  return {
    "contacts.count": () => ({ count: 2, exact: true }),
    "tasks.list": (input: { view: string }) => ({
      items: input.view === "overdue" && !state.done ? [task()] : [],
      nextCursor: null,
    }),
    "tasks.complete": () => {
      state.done = true;
      return { ...task(), completedAt: new Date() };
    },
    "reconnect.list": () => ({ asOf: new Date(), items: state.reconnect ? [reconnectItem] : [] }),
    "reconnect.snooze": (input: { until: Date }) => {
      state.reconnect = false;
      return { keepInTouchDays: null, snoozedUntil: input.until, doneAt: null };
    },
    "tasks.create": (input: Record<string, unknown>) => ({ ...task(), ...input, id: TASK }),
    "activity.list": () => ({
      items: [
        {
          id: "1",
          type: "interaction.created",
          actorId: USER.id,
          actorName: USER.name,
          payload: { contactId: ANA, type: "call" },
          createdAt: new Date(now - 60_000),
        },
      ],
      nextCursor: null,
    }),
    "analytics.metrics": () => metrics,
  };
}

describe("Today", () => {
  it("is where signing in lands when the user has one workspace", async () => {
    await renderApp({ path: "/", handlers: todayHandlers({ done: false, reconnect: true }) });
    await waitFor(() => expect(window.location.pathname).toBe(TODAY));
    await screen.findByRole("heading", { level: 1, name: "Today" });
    const nav = screen.getByRole("navigation", { name: "Workspace sections" });
    expect(within(nav).getByRole("link", { name: "Today" })).toHaveAttribute("aria-current", "page");
  });

  it("completes an overdue follow-up in one click, and shows reconnect reasons, activity and health", async () => {
    const state = { done: false, reconnect: true };
    const { server, user } = await renderApp({ path: TODAY, handlers: todayHandlers(state) });
    const due = await screen.findByRole("list", { name: "Overdue and due today" });
    expect(due).toHaveTextContent("Send the proposal");
    expect(due).toHaveTextContent("overdue, was due yesterday");
    expect(within(due).getByRole("link", { name: "Ana Lima" })).toHaveAttribute(
      "href",
      `/w/${WORKSPACE_ID}/contacts/${ANA}`,
    );
    const reconnect = screen.getByRole("list", { name: "Reconnect suggestions" });
    expect(reconnect).toHaveTextContent("Ben Okafor");
    expect(reconnect).toHaveTextContent("usually every 12 days, last contact 31 days ago; was healthy a month ago");
    expect(await screen.findByRole("list", { name: "Recent activity" })).toHaveTextContent(
      "Ana Ruiz logged a call with a contact",
    );
    expect(
      await screen.findByRole("img", { name: "Relationship health of 2 contacts: 0 healthy, 1 at risk, 1 inactive" }),
    ).toBeInTheDocument();
    expect(document.querySelector('[data-testid="today-ready"]')).not.toBeNull();

    await user.click(within(due).getByRole("checkbox", { name: "Complete: Send the proposal" }));
    await waitFor(() =>
      expect(server.callsTo("tasks.complete").map((call) => call.input)).toEqual([
        { workspaceId: WORKSPACE_ID, taskId: TASK },
      ]),
    );
    expect(await screen.findByText("Nothing overdue or due today.")).toBeInTheDocument();
    expect(await screen.findByText("Done: Send the proposal")).toBeInTheDocument();
    expect(server.unhandled).toEqual([]);
  });

  it("snoozes a suggestion for a week and creates a follow-up from it", async () => {
    const state = { done: false, reconnect: true };
    const { server, user } = await renderApp({ path: TODAY, handlers: todayHandlers(state) });
    const entry = (await screen.findByRole("list", { name: "Reconnect suggestions" })).querySelector("li")!;

    await user.click(within(entry).getByRole("button", { name: "Create follow-up" }));
    const dialog = await screen.findByRole("dialog", { name: "New follow-up" });
    expect(within(dialog).getByLabelText("Title")).toHaveValue("Reconnect with Ben Okafor");
    expect(within(dialog).getByText("Ben Okafor")).toBeInTheDocument();
    await user.click(within(dialog).getByRole("button", { name: "Create follow-up" }));
    await waitFor(() => expect(server.callsTo("tasks.create")).toHaveLength(1));
    const created = server.callsTo("tasks.create")[0]!.input;
    expect(created).toMatchObject({
      workspaceId: WORKSPACE_ID,
      title: "Reconnect with Ben Okafor",
      contactId: BEN,
      assigneeId: USER.id,
    });
    // Tomorrow at 9:00, the person's time.
    const dueAt = new Date(created.dueAt);
    expect(dueAt.getHours()).toBe(9);
    expect(dueAt.toDateString()).toBe(daysFromToday(1));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());

    await user.click(within(entry).getByRole("button", { name: "Snooze" }));
    await user.click(screen.getByRole("button", { name: "1 week" }));
    await waitFor(() => expect(server.callsTo("reconnect.snooze")).toHaveLength(1));
    const until = new Date(server.callsTo("reconnect.snooze")[0]!.input.until).getTime();
    expect(Math.round((until - Date.now()) / DAY)).toBe(7);
    expect(await screen.findByText(/No relationship is going cold/)).toBeInTheDocument();
    expect(server.unhandled).toEqual([]);
  });

  it("an empty workspace shows the first-run checklist, ticked from the real data", async () => {
    await renderApp({
      path: TODAY,
      handlers: {
        ...todayHandlers({ done: false, reconnect: false }),
        "contacts.count": () => ({ count: 0, exact: true }),
        "gmail.status": () => ({ configured: true, demo: false, connected: true, syncing: false }),
      },
    });
    const checklist = await screen.findByRole("region", { name: "Get started" });
    expect(checklist).toHaveTextContent("1 of 4 done");
    expect(within(checklist).getByText(/Connect Gmail, so emails log themselves/)).toHaveTextContent("(done)");
    expect(within(checklist).getByText(/Add a contact by hand/)).toHaveTextContent("(to do)");
    expect(within(checklist).getByRole("link", { name: "Invite a teammate" })).toHaveAttribute(
      "href",
      `/w/${WORKSPACE_ID}/members`,
    );
  });
});

describe("follow-ups on a contact page", () => {
  it("a timeline item's Follow up opens a follow-up on its subject, due in 3 days", async () => {
    const ada = contact({ name: "Ada Lovelace" });
    const email = interaction({ contactId: ada.id, subject: "Pricing questions" });
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${ada.id}`,
      handlers: {
        "contacts.get": () => ada,
        "interactions.listForContact": () => ({ items: [email], nextCursor: null }),
        "recommendations.forContact": () => ({ items: [], cached: false, computedAt: new Date() }),
        "tasks.create": (input: Record<string, unknown>) => ({ ...task(), ...input }),
      },
    });
    const section = await screen.findByRole("region", { name: "Follow-ups" });
    expect(await within(section).findByText("No open follow-ups.")).toBeInTheDocument();
    await waitFor(() => expect(within(section).getByLabelText("Keep in touch")).toBeEnabled());
    expect(within(section).getByLabelText("Keep in touch")).toHaveValue("learned");

    await user.click(await screen.findByRole("button", { name: "Actions for Pricing questions" }));
    await user.click(within(await screen.findByRole("menu")).getByRole("menuitem", { name: "Follow up" }));
    const dialog = await screen.findByRole("dialog", { name: "New follow-up" });
    expect(within(dialog).getByLabelText("Title")).toHaveValue("Follow up on Pricing questions");
    await user.click(within(dialog).getByRole("button", { name: "Create follow-up" }));
    await waitFor(() => expect(server.callsTo("tasks.create")).toHaveLength(1));
    const input = server.callsTo("tasks.create")[0]!.input;
    expect(input).toMatchObject({
      contactId: ada.id,
      interactionId: email.id,
      title: "Follow up on Pricing questions",
    });
    // 9:00 on the third calendar day from today (not 3 × 24 h: at night that rounds to 2).
    const dueAt = new Date(input.dueAt);
    expect(dueAt.getHours()).toBe(9);
    expect(dueAt.toDateString()).toBe(daysFromToday(3));
  });
});
