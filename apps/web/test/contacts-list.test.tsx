import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { contacts, WORKSPACE_ID, type Contact } from "./support/fixtures";
import { renderApp } from "./support/render";
import { scrollIntoViewAll } from "./support/setup";

const LIST = `/w/${WORKSPACE_ID}/contacts`;

/** Two pages of 50, served by cursor like the real contacts.list. */
function pagedList(all: Contact[], pageSize = 50) {
  return (input: { cursor?: string | null; limit?: number; deleted?: boolean }) => {
    if (input.deleted) return { items: [], nextCursor: null };
    const limit = input.limit ?? pageSize;
    const start = input.cursor ? Number(input.cursor.replace("cursor-", "")) : 0;
    const items = all.slice(start, start + limit);
    const end = start + items.length;
    return { items, nextCursor: end < all.length ? `cursor-${end}` : null };
  };
}

/**
 * Asks for the next page the way a person would: "Load more" if the list has
 * one, else scrolling the list to its end (jsdom does not scroll, so the
 * scroll position is set on the virtualized list's scroll container — the
 * parent of its full-height sizer — and a scroll event fired).
 */
async function loadNextPage(user: Awaited<ReturnType<typeof renderApp>>["user"]) {
  const button = screen.queryByRole("button", { name: /load more/i });
  if (button) {
    await user.click(button);
    return;
  }
  const grid = screen.getByRole("grid", { name: "Contacts" });
  const sizer = [...grid.querySelectorAll<HTMLElement>("[style]")].find(
    (element) =>
      !element.hasAttribute("role") && /(^|;)\s*height:\s*[\d.]+px/.test(element.getAttribute("style") ?? ""),
  );
  const scroller = sizer?.parentElement ?? grid;
  const end = Math.max(0, parseFloat(sizer?.style.height ?? "0") - scroller.clientHeight);
  await act(async () => {
    Object.defineProperty(scroller, "scrollTop", { configurable: true, writable: true, value: end });
    scroller.dispatchEvent(new Event("scroll"));
    window.dispatchEvent(new Event("scroll"));
    scrollIntoViewAll();
  });
}

describe("contacts list", () => {
  it("renders the rows of the first page and loads the next page", async () => {
    const all = contacts(250, "Person");
    const { server, user } = await renderApp({ path: LIST, handlers: { "contacts.list": pagedList(all) } });

    expect(await screen.findByRole("checkbox", { name: "Select Person 001" })).toBeInTheDocument();
    // Each row shows the contact and links to its page.
    const link = screen.getAllByRole("link", { name: "Person 001" })[0]!;
    expect(link).toHaveAttribute("href", `/w/${WORKSPACE_ID}/contacts/${all[0]!.id}`);
    expect(screen.getAllByText("person1@example.com").length).toBeGreaterThan(0);
    expect(screen.getAllByRole("checkbox", { name: /^Select Person / }).length).toBeGreaterThanOrEqual(20);
    const listCalls = () => server.callsTo("contacts.list").filter((call) => !call.input.deleted);
    const first = listCalls()[0]!;
    expect(first.input).toMatchObject({ workspaceId: WORKSPACE_ID });
    expect(first.input.cursor ?? null).toBeNull();
    const pageSize: number = first.input.limit;
    expect(pageSize).toBeGreaterThanOrEqual(50);
    expect(listCalls().some((call) => call.input.cursor)).toBe(false);

    await loadNextPage(user);
    await waitFor(() => expect(listCalls().some((call) => call.input.cursor === `cursor-${pageSize}`)).toBe(true));
    // The first row of page 2 shows up at the end of page 1 (page 1 is kept, not replaced).
    const firstOfPage2 = `Select Person ${String(pageSize + 1).padStart(3, "0")}`;
    expect(await screen.findByRole("checkbox", { name: firstOfPage2 })).toBeInTheDocument();
    expect(
      screen.getByRole("checkbox", { name: `Select Person ${String(pageSize).padStart(3, "0")}` }),
    ).toBeInTheDocument();
    expect(listCalls().filter((call) => call.input.cursor === `cursor-${pageSize}`)).toHaveLength(1);
    expect(server.unhandled).toEqual([]);
  });

  it("selects rows and deletes the selection in one call, with Undo", async () => {
    let all = contacts(5, "Member");
    const picked = [all[1]!.id, all[3]!.id]; // Member 002 and Member 004
    const deleted: string[][] = [];
    const restored: string[] = [];
    let gone: Contact[] = [];
    const { server, user } = await renderApp({
      path: LIST,
      handlers: {
        "contacts.list": (input) => pagedList(all)(input),
        "contacts.delete": (input: { contactIds: string[] }) => {
          deleted.push(input.contactIds);
          gone = all.filter((c) => input.contactIds.includes(c.id));
          all = all.filter((c) => !input.contactIds.includes(c.id));
          const now = new Date();
          return {
            deletedIds: input.contactIds,
            deletedAt: now,
            restorableUntil: new Date(now.getTime() + 30 * 86_400_000),
          };
        },
        "contacts.restore": (input: { contactId: string }) => {
          restored.push(input.contactId);
          const back = gone.find((c) => c.id === input.contactId)!;
          all = [...all, back].sort((a, b) => a.name.localeCompare(b.name));
          return back;
        },
      },
    });

    await user.click(await screen.findByRole("checkbox", { name: "Select Member 002" }));
    await user.click(screen.getByRole("checkbox", { name: "Select Member 004" }));
    expect(screen.getByRole("checkbox", { name: "Select Member 002" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Select Member 001" })).not.toBeChecked();

    await user.click(screen.getByRole("button", { name: /^Delete selected/ }));
    // A confirmation step is fine; confirm it if there is one.
    const dialog = screen.queryByRole("dialog") ?? screen.queryByRole("alertdialog");
    if (dialog) await user.click(within(dialog).getByRole("button", { name: /delete/i }));

    await waitFor(() => expect(deleted).toHaveLength(1));
    expect(new Set(deleted[0])).toEqual(new Set(picked));
    await waitFor(() => expect(screen.queryByRole("checkbox", { name: "Select Member 002" })).toBeNull());
    expect(screen.queryByRole("checkbox", { name: "Select Member 004" })).toBeNull();
    expect(screen.getByRole("checkbox", { name: "Select Member 001" })).toBeInTheDocument();

    // Undo from the toast brings them back.
    const undo = await screen.findByRole("button", { name: "Undo" });
    expect(undo.closest('[role="status"]')).not.toBeNull();
    await user.click(undo);
    await waitFor(() => expect(new Set(restored)).toEqual(new Set(picked)));
    expect(await screen.findByRole("checkbox", { name: "Select Member 002" })).toBeInTheDocument();
    expect(server.unhandled).toEqual([]);
  });
});
