/**
 * The workspace's live stream (activity.live over SSE, through the real tRPC
 * httpSubscriptionLink and a WHATWG EventSource): its events refetch the queries they
 * affect and nothing else; a stream the server ends is reopened from the last event
 * id, and "not resumed" refetches everything. The header's indicator says whether it
 * is live. Only fetch is faked (support/fake-server.ts).
 */
import { screen, waitFor, within } from "@testing-library/react";
import { TRPCError, tracked } from "@trpc/server";
import { EventSource } from "eventsource";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { USER, WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";

interface LiveInput {
  workspaceId: string;
  lastEventId?: string;
}

const OTHER_ID = "33333333-3333-4333-8333-333333333333";
const CONTACT_ID = "44444444-4444-4444-8444-444444444444";

/** A server-side stream the test feeds: events pushed, the stream ended on demand. */
function liveServer({
  resumes = true,
  refuses,
}: {
  resumes?: boolean;
  refuses?: (lastEventId: string) => boolean;
} = {}) {
  const inputs: LiveInput[] = [];
  let queue: unknown[] = [];
  let end = false;
  let wake: (() => void) | null = null;
  const nudge = () => {
    const waiting = wake;
    wake = null;
    waiting?.();
  };
  async function* handler(input: LiveInput, { signal }: { signal: AbortSignal | null }) {
    inputs.push(input);
    end = false;
    if (input.lastEventId && refuses?.(input.lastEventId))
      throw new TRPCError({ code: "BAD_REQUEST", message: "Invalid input: lastEventId must be an event id" });
    // A browser's EventSource repeats the last event id on a message sent without one, so a
    // resumed stream's "ready" reaches the page as if tracked: served that way here.
    if (input.lastEventId) yield tracked(input.lastEventId, { kind: "ready", resumed: resumes });
    else yield { kind: "ready", resumed: null };
    while (!signal?.aborted) {
      if (end) return;
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  }
  return {
    handler,
    inputs,
    /** An event; `sseId` is the id it is tracked with (the event id, or a position with ids sent ahead). */
    push(
      id: number,
      type: string,
      payload: Record<string, unknown>,
      workspaceId: string | null = WORKSPACE_ID,
      sseId = String(id),
    ) {
      queue = [
        ...queue,
        tracked(sseId, {
          kind: "event",
          event: { id, type, workspaceId, actorId: OTHER_ID, payload, createdAt: new Date() },
        }),
      ];
      nudge();
    },
    /** The server ends the stream (a restart, a dropped connection). */
    drop() {
      end = true;
      nudge();
    },
  };
}

const activityItem = (id: number, type: string, contactName: string | null) => ({
  id,
  type,
  actorId: OTHER_ID,
  actorName: "Jens Holt",
  payload: { contactId: CONTACT_ID },
  contactName,
  createdAt: new Date(),
});

/** The Activity page, with no past events, once its live stream is open; the fake server. */
async function openEmptyActivity(live: ReturnType<typeof liveServer>) {
  const { server } = await renderApp({
    path: `/w/${WORKSPACE_ID}/activity`,
    handlers: {
      "activity.live": live.handler,
      "activity.list": () => ({ items: [], nextCursor: null }),
    },
  });
  await waitFor(() => expect(screen.getByText("Live")).toBeInTheDocument());
  return server;
}

beforeEach(() => {
  vi.stubGlobal("EventSource", EventSource);
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("live updates", () => {
  it("an event refetches the affected queries only: the Activity feed shows it at the top, in words", async () => {
    const live = liveServer();
    let feed = [activityItem(1, "contact.created", "Old Friend")];
    const { server } = await renderApp({
      path: `/w/${WORKSPACE_ID}/activity`,
      handlers: {
        "activity.live": live.handler,
        "activity.list": () => ({ items: feed, nextCursor: null }),
      },
    });
    const list = await screen.findByRole("list", { name: "Activity feed" });
    expect(within(list).getByText(/added contact/)).toHaveTextContent("Jens Holt added contact Old Friend");
    await waitFor(() => expect(screen.getByText("Live")).toBeInTheDocument());
    expect(live.inputs).toEqual([{ workspaceId: WORKSPACE_ID }]);
    const workspacesCalls = server.callsTo("workspaces.list").length;
    const feedCalls = server.callsTo("activity.list").length;

    feed = [activityItem(2, "contact.created", "Ana Lima"), ...feed];
    live.push(2, "contact.created", { contactId: CONTACT_ID });

    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(2));
    expect(within(list).getAllByRole("listitem")[0]).toHaveTextContent("Jens Holt added contact Ana Lima");
    expect(within(list).getByRole("link", { name: "Ana Lima" })).toHaveAttribute(
      "href",
      `/w/${WORKSPACE_ID}/contacts/${CONTACT_ID}`,
    );
    expect(server.callsTo("activity.list").length).toBe(feedCalls + 1);
    // A contact event says nothing about the workspaces: that query is left alone.
    expect(server.callsTo("workspaces.list").length).toBe(workspacesCalls);
    // Nothing polls while the stream is live.
    expect(screen.getByText("New events appear as they happen")).toBeInTheDocument();
  });

  it("a stream the server ends is reopened after the last event id; beyond the window everything is refetched", async () => {
    const live = liveServer({ resumes: false });
    const server = await openEmptyActivity(live);
    live.push(7, "member.role_changed", { userId: USER.id, from: "member", to: "admin" });
    await waitFor(() => expect(server.callsTo("workspaces.list").length).toBeGreaterThan(1));
    const workspacesCalls = server.callsTo("workspaces.list").length;
    const deletionCalls = server.callsTo("workspaces.deletionStatus").length;

    live.drop();
    await waitFor(() => expect(live.inputs).toHaveLength(2), { timeout: 5_000 });
    expect(live.inputs[1]).toEqual({ workspaceId: WORKSPACE_ID, lastEventId: "7" });
    // Not resumed: every query on screen is fetched again, even those no event named.
    await waitFor(() => expect(server.callsTo("workspaces.list").length).toBeGreaterThan(workspacesCalls));
    await waitFor(() => expect(server.callsTo("workspaces.deletionStatus").length).toBeGreaterThan(deletionCalls));
    expect(screen.getByText("Live")).toBeInTheDocument();
  });
});

describe("a last event id the server refuses", () => {
  it("is dropped: the stream starts afresh and everything on screen is refetched, instead of the same id retried for ever", async () => {
    // An instance of another release does not read this kind of id.
    const live = liveServer({ refuses: (lastEventId) => lastEventId.includes(":") });
    const server = await openEmptyActivity(live);
    live.push(9, "contact.created", { contactId: CONTACT_ID }, WORKSPACE_ID, "41:7:9");
    await waitFor(() => expect(server.callsTo("activity.list").length).toBeGreaterThan(1));
    const workspacesCalls = server.callsTo("workspaces.list").length;

    live.drop();
    await waitFor(() => expect(live.inputs).toHaveLength(3), { timeout: 8_000 });
    expect(live.inputs[1]).toEqual({ workspaceId: WORKSPACE_ID, lastEventId: "41:7:9" });
    expect(live.inputs[2]).toEqual({ workspaceId: WORKSPACE_ID });
    // Not resumed: what it may have missed is fetched again.
    await waitFor(() => expect(server.callsTo("workspaces.list").length).toBeGreaterThan(workspacesCalls));
    await waitFor(() => expect(screen.getByText("Live")).toBeInTheDocument());
  });
});

describe("notifications", () => {
  const note = (id: string, text: string, readAt: Date | null = null) => ({
    id,
    kind: "member.role_changed",
    text,
    workspaceId: WORKSPACE_ID,
    workspaceName: "Acme",
    payload: { to: "admin" },
    createdAt: new Date(),
    readAt,
  });
  const FIRST = "55555555-5555-4555-8555-555555555555";
  const SECOND = "66666666-6666-4666-8666-666666666666";

  it("the bell counts unread, the panel lists them, marks one or all read; a new one raises the count and shows a toast", async () => {
    const live = liveServer();
    let items = [note(FIRST, "Your role in Acme is now admin")];
    const unread = () => items.filter((item) => !item.readAt).length;
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/activity`,
      handlers: {
        "activity.live": live.handler,
        "activity.list": () => ({ items: [], nextCursor: null }),
        "notifications.unreadCount": () => ({ unread: unread() }),
        "notifications.list": () => ({ items, nextCursor: null }),
        "notifications.markRead": (input: { ids: string[] }) => {
          items = items.map((item) => (input.ids.includes(item.id) ? { ...item, readAt: new Date() } : item));
          return { updated: input.ids.length };
        },
        "notifications.markAllRead": () => {
          items = items.map((item) => ({ ...item, readAt: item.readAt ?? new Date() }));
          return { updated: 1 };
        },
      },
    });
    const bell = await screen.findByRole("button", { name: "Notifications, 1 unread" });
    await waitFor(() => expect(screen.getByText("Live")).toBeInTheDocument());

    // Someone changes my role: the count goes up without a reload, and the news shows as a toast.
    items = [note(SECOND, "Your role in Acme is now owner"), ...items];
    live.push(
      9,
      "notification.created",
      { notificationId: SECOND, userId: USER.id, kind: "member.role_changed" },
      null,
    );
    await waitFor(() => expect(bell).toHaveAccessibleName("Notifications, 2 unread"));
    expect(await screen.findByText("Your role in Acme is now owner", { selector: ".toast-message" })).toBeVisible();

    await user.click(bell);
    expect(bell).toHaveAttribute("aria-expanded", "true");
    const panel = screen.getByRole("region", { name: "Notifications" });
    const rows = await within(panel).findAllByRole("listitem");
    expect(rows.map((row) => row.textContent)).toEqual([
      expect.stringContaining("Unread: Your role in Acme is now owner"),
      expect.stringContaining("Unread: Your role in Acme is now admin"),
    ]);
    expect(within(rows[0]!).getByRole("link", { name: "Your role in Acme is now owner" })).toHaveAttribute(
      "href",
      `/w/${WORKSPACE_ID}/members`,
    );

    await user.click(within(rows[1]!).getByRole("button", { name: "Mark read" }));
    expect(server.callsTo("notifications.markRead").at(-1)?.input).toEqual({ ids: [FIRST] });
    await waitFor(() => expect(bell).toHaveAccessibleName("Notifications, 1 unread"));

    await user.click(within(panel).getByRole("button", { name: "Mark all read" }));
    await waitFor(() => expect(bell).toHaveAccessibleName("Notifications"));
    expect(within(panel).queryByRole("button", { name: "Mark read" })).toBeNull();
    expect(within(panel).getByRole("button", { name: "Mark all read" })).toBeDisabled();

    await user.keyboard("{Escape}");
    expect(bell).toHaveAttribute("aria-expanded", "false");
    expect(bell).toHaveFocus();
  });

  it("the settings page shows each kind with its current choice and saves a change at once", async () => {
    const preferences = {
      "webhook.endpoint_disabled": true,
      "gmail.reconnect_needed": true,
      "gdpr.export_ready": true,
      "member.added": true,
      "member.role_changed": true,
      "task.assigned": true,
      "task.due": false,
    };
    const { server, user } = await renderApp({
      path: "/settings/notifications",
      handlers: {
        "notifications.preferences": () => preferences,
        "notifications.updatePreferences": (input: { preferences: Record<string, boolean> }) => ({
          ...preferences,
          ...input.preferences,
        }),
      },
    });
    const due = await screen.findByRole("checkbox", { name: /My follow-up is due/ });
    expect(due).not.toBeChecked();
    const joined = screen.getByRole("checkbox", { name: /Someone joins a workspace I run/ });
    expect(joined).toBeChecked();
    await user.click(joined);
    await waitFor(() => expect(joined).not.toBeChecked());
    expect(server.callsTo("notifications.updatePreferences")[0]?.input).toEqual({
      preferences: { "member.added": false },
    });
    expect(await screen.findByText("Saved.")).toBeInTheDocument();
  });
});
