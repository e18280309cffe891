import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { contacts, WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";

const LIST = `/w/${WORKSPACE_ID}/contacts`;

function hit(id: string, name: string, ranges: [number, number][]) {
  return {
    id,
    name,
    email: `${name.split(" ")[0]!.toLowerCase()}@example.com`,
    company: "Acme",
    title: null,
    restricted: false,
    tier: "word" as const,
    highlights: [{ field: "name" as const, text: name, ranges }],
  };
}

const empty = { items: [], more: false };

describe("contacts list search, count and sort", () => {
  it("the tag filter and the bulk tag field take one tag: a separator is explained, never sent", async () => {
    const { server, user } = await renderApp({
      path: LIST,
      handlers: {
        "contacts.list": () => ({ items: contacts(3), nextCursor: null }),
        "contacts.count": () => ({ count: 3, exact: true }),
      },
    });
    await screen.findByRole("checkbox", { name: "Select Person 001" });
    const filter = screen.getByRole("textbox", { name: "Tag filter" });
    await user.type(filter, "vip, lead");
    expect(filter).toHaveAttribute("aria-invalid", "true");
    expect(filter).toHaveAccessibleDescription('One tag: "," and ";" separate tags.');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(server.callsTo("contacts.list").some((call) => call.input.tag)).toBe(false);
    expect(server.callsTo("contacts.count").some((call) => call.input.tag)).toBe(false);
    // Nothing acts on the unfiltered list meanwhile: no bulk actions or export, no saving the view.
    expect(screen.queryByText(/^Act on all/)).toBeNull();
    expect(screen.queryByRole("button", { name: "Export CSV" })).toBeNull();
    expect(screen.getByRole("button", { name: "Save current view…" })).toBeDisabled();
    await user.clear(filter);
    await user.type(filter, "vip");
    await waitFor(() => expect(server.callsTo("contacts.list").at(-1)!.input).toMatchObject({ tag: "vip" }));
    expect(filter).not.toHaveAttribute("aria-invalid");

    await user.click(screen.getByText(/^Act on all/));
    const tagField = screen.getByRole("textbox", { name: "Tag" });
    await user.type(tagField, "a;b");
    expect(tagField).toHaveAccessibleDescription('One tag at a time: "," and ";" separate tags.');
    expect(screen.getByRole("button", { name: /^Add tag to/ })).toBeDisabled();
    expect(screen.getByRole("button", { name: /^Remove tag from/ })).toBeDisabled();
    await user.clear(tagField);
    await user.type(tagField, "a");
    expect(screen.getByRole("button", { name: /^Add tag to/ })).toBeEnabled();
  });

  it("the search box filters the list itself: with the other filters, in the chosen sort, counted, with bulk and export", async () => {
    const { server, user } = await renderApp({
      path: LIST,
      handlers: {
        "contacts.list": (input: { search?: string }) =>
          input.search === "nobody"
            ? { items: [], nextCursor: null }
            : { items: input.search ? contacts(2, "Jensen") : contacts(3), nextCursor: null },
        "contacts.count": (input: { search?: string }) =>
          input.search === "nobody" ? { count: 0, exact: true } : { count: input.search ? 2 : 3, exact: true },
        "search.query": () => ({
          contacts: { items: [hit("00000000-0000-4000-8000-0000000000a1", "Nobbie Dy", [[0, 3]])], more: false },
          interactions: empty,
        }),
      },
    });
    await screen.findByRole("checkbox", { name: "Select Person 001" });
    await user.type(screen.getByRole("textbox", { name: "Tag filter" }), "vip");
    await user.selectOptions(screen.getByRole("combobox", { name: "Sort by" }), "name");
    await user.type(screen.getByRole("searchbox", { name: "Search contacts" }), "jen");
    // The rows shown are the list's, asked with the search and every other filter, in its sort.
    expect(await screen.findByRole("checkbox", { name: "Select Jensen 001" })).toBeInTheDocument();
    await waitFor(() =>
      expect(server.callsTo("contacts.list").at(-1)!.input).toMatchObject({ search: "jen", tag: "vip", sort: "name" }),
    );
    // Typing quickly is one request, not one per key.
    expect(
      server
        .callsTo("contacts.list")
        .filter((call) => call.input.search)
        .map((c) => c.input.search),
    ).toEqual(["jen"]);
    expect(await screen.findByText("2 matches")).toBeInTheDocument();
    expect(server.callsTo("contacts.count").at(-1)!.input).toEqual({
      workspaceId: WORKSPACE_ID,
      deleted: false,
      search: "jen",
      tag: "vip",
    });
    // Bulk actions and the export act on that same set, and the grid still sorts.
    expect(screen.getByText("Act on all 2 matching")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Export CSV" })).toBeInTheDocument();
    expect(screen.getByRole("grid", { name: "Contacts" })).toBeInTheDocument();
    expect(screen.queryByText(/the tag, employer and source filters apply to the list/)).toBeNull();
    // The ranked search is not what the list shows…
    expect(server.callsTo("search.query")).toHaveLength(0);
    expect(new URL(window.location.href).searchParams.get("q")).toBe("jen");

    // …it only suggests close matches when the search box's words match nothing.
    await user.clear(screen.getByRole("textbox", { name: "Tag filter" }));
    await user.clear(screen.getByRole("searchbox", { name: "Search contacts" }));
    await user.type(screen.getByRole("searchbox", { name: "Search contacts" }), "nobody");
    expect(await screen.findByText("No contacts match “nobody”.")).toBeInTheDocument();
    const close = await screen.findByRole("list", { name: "Best matches" });
    expect(within(close).getByRole("link", { name: "Nobbie Dy" })).toHaveAttribute(
      "href",
      `/w/${WORKSPACE_ID}/contacts/00000000-0000-4000-8000-0000000000a1`,
    );
    expect(screen.queryByText(/Act on all/)).toBeNull();
    expect(server.unhandled).toEqual([]);
  });

  it("over the count's bound, the bulk panel says '10,000+', confirms the server's exact number, and Undo restores that delete", async () => {
    const deletedAt = new Date("2026-05-01T10:00:00.000Z");
    const { server, user } = await renderApp({
      path: `${LIST}?company=Acme`,
      handlers: {
        "contacts.list": () => ({ items: contacts(100), nextCursor: "cursor-100" }),
        "contacts.count": () => ({ count: 10_000, exact: false }),
        "contacts.bulk": (input: { action: string; dryRun?: boolean }) =>
          input.dryRun
            ? { jobId: null, matched: 12_345, result: null, deletedAt: null }
            : input.action === "delete"
              ? {
                  jobId: null,
                  matched: 12_345,
                  result: { matched: 12_345, changed: 12_345, skipped: 0, restricted: 0, restrictedIds: [] },
                  deletedAt,
                }
              : {
                  jobId: null,
                  matched: 12_345,
                  result: { matched: 12_345, changed: 12_345, skipped: 0, restricted: 0, restrictedIds: [] },
                  deletedAt: null,
                },
      },
    });
    await user.click(await screen.findByText("Act on all 10,000+ matching"));
    expect(screen.queryByText(/all 10,000 /)).toBeNull();
    await user.click(screen.getByRole("button", { name: "Delete all 10,000+…" }));
    // The confirmation names what the server will act on, counted exactly (a dry run).
    await user.click(await screen.findByRole("button", { name: "Confirm: delete 12,345 contacts" }));
    const calls = () => server.callsTo("contacts.bulk").map((call) => call.input);
    expect(calls()[0]).toMatchObject({
      workspaceId: WORKSPACE_ID,
      filter: { company: "Acme" },
      action: "delete",
      dryRun: true,
    });
    await waitFor(() => expect(calls()).toHaveLength(2));
    expect(calls()[1]).toMatchObject({ filter: { company: "Acme" }, action: "delete" });
    expect(calls()[1]!.dryRun).toBeFalsy();

    // Undo in the toast restores exactly what that delete removed: its filter, at its instant.
    expect(await screen.findByText("Deleted 12,345 contacts.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Undo" }));
    await waitFor(() => expect(calls()).toHaveLength(3));
    expect(calls()[2]).toEqual({
      workspaceId: WORKSPACE_ID,
      filter: { company: "Acme", deleted: true, deletedAt },
      action: "restore",
    });
    expect(await screen.findByText("Restored 12,345 contacts.")).toBeInTheDocument();
    expect(server.unhandled).toEqual([]);
  });

  it("Recently deleted restores every deleted contact at once", async () => {
    const { server, user } = await renderApp({
      path: `${LIST}/deleted`,
      handlers: {
        "contacts.list": () => ({
          items: contacts(3, "Gone").map((c) => ({ ...c, deletedAt: new Date() })),
          nextCursor: "cursor-3",
        }),
        "contacts.count": () => ({ count: 240, exact: true }),
        "contacts.bulk": (input: { dryRun?: boolean }) =>
          input.dryRun
            ? { jobId: null, matched: 238, result: null, deletedAt: null }
            : {
                jobId: null,
                matched: 238,
                result: { matched: 238, changed: 238, skipped: 0, restricted: 0, restrictedIds: [] },
                deletedAt: null,
              },
      },
    });
    await screen.findByText("Gone 001");
    // Asks first, with the number the server would restore (some are past retention).
    await user.click(await screen.findByRole("button", { name: "Restore all 240…" }));
    expect(server.callsTo("contacts.count").at(-1)!.input).toEqual({ workspaceId: WORKSPACE_ID, deleted: true });
    await user.click(await screen.findByRole("button", { name: "Confirm: restore 238 contacts" }));
    expect(await screen.findByText("Restored 238 contacts.")).toBeInTheDocument();
    expect(server.callsTo("contacts.bulk").map((call) => call.input)).toEqual([
      { workspaceId: WORKSPACE_ID, filter: { deleted: true }, action: "restore", dryRun: true },
      { workspaceId: WORKSPACE_ID, filter: { deleted: true }, action: "restore" },
    ]);
    expect(server.unhandled).toEqual([]);
  });

  it("shows the real total for the filter, exact or '10,000+'", async () => {
    const { server, user } = await renderApp({
      path: LIST,
      handlers: {
        "contacts.list": () => ({ items: contacts(100), nextCursor: "cursor-100" }),
        "contacts.count": (input: { tag?: string }) =>
          input.tag ? { count: 1234, exact: true } : { count: 10_000, exact: false },
      },
    });
    await screen.findByRole("checkbox", { name: "Select Person 001" });
    expect(await screen.findByText("10,000+ contacts")).toBeInTheDocument();
    await user.type(screen.getByRole("textbox", { name: "Tag filter" }), "vip");
    expect(await screen.findByText("1,234 matches")).toBeInTheDocument();
    expect(server.callsTo("contacts.count").at(-1)!.input).toEqual({
      workspaceId: WORKSPACE_ID,
      deleted: false,
      tag: "vip",
    });
  });

  it("sorts by clicking a column heading, both directions, with aria-sort, and the address keeps the sort", async () => {
    const { server, user } = await renderApp({
      path: LIST,
      handlers: { "contacts.list": () => ({ items: contacts(5), nextCursor: null }) },
    });
    await screen.findByRole("checkbox", { name: "Select Person 001" });
    const grid = screen.getByRole("grid", { name: "Contacts" });
    const heading = (name: RegExp) => within(grid).getByRole("columnheader", { name });
    const lastSort = () => server.callsTo("contacts.list").at(-1)!.input.sort;
    expect(heading(/Name/)).not.toHaveAttribute("aria-sort");
    expect(heading(/Updated/)).toHaveAttribute("aria-sort", "descending");

    await user.click(within(heading(/Name/)).getByRole("button", { name: /Name/ }));
    await waitFor(() => expect(lastSort()).toBe("name"));
    await waitFor(() => expect(new URL(window.location.href).searchParams.get("sort")).toBe("name"));
    expect(heading(/Name/)).toHaveAttribute("aria-sort", "ascending");
    expect(heading(/Updated/)).not.toHaveAttribute("aria-sort");
    // Again: the other way.
    await user.click(within(grid).getByRole("button", { name: /Name/ }));
    await waitFor(() => expect(lastSort()).toBe("name_desc"));
    expect(heading(/Name/)).toHaveAttribute("aria-sort", "descending");

    for (const [label, first, second] of [
      [/Email/, "email", "email_desc"],
      [/Company/, "company", "company_desc"],
    ] as const) {
      await user.click(within(grid).getByRole("button", { name: label }));
      await waitFor(() => expect(lastSort()).toBe(first));
      expect(heading(label)).toHaveAttribute("aria-sort", "ascending");
      await user.click(within(grid).getByRole("button", { name: label }));
      await waitFor(() => expect(lastSort()).toBe(second));
      expect(heading(label)).toHaveAttribute("aria-sort", "descending");
      expect(new URL(window.location.href).searchParams.get("sort")).toBe(second);
    }

    // The date column: newest first, then oldest first.
    await user.click(within(grid).getByRole("button", { name: /Updated/ }));
    await waitFor(() => expect(new URL(window.location.href).searchParams.get("sort")).toBeNull());
    expect(heading(/Updated/)).toHaveAttribute("aria-sort", "descending");
    await user.click(within(grid).getByRole("button", { name: /Updated/ }));
    await waitFor(() => expect(lastSort()).toBe("updated_asc"));
    expect(heading(/Updated/)).toHaveAttribute("aria-sort", "ascending");
    await user.selectOptions(screen.getByRole("combobox", { name: "Sort by" }), "created");
    await waitFor(() => expect(lastSort()).toBe("created"));
    expect(heading(/Added/)).toHaveAttribute("aria-sort", "descending");
    await user.click(within(grid).getByRole("button", { name: /Added/ }));
    await waitFor(() => expect(lastSort()).toBe("created_asc"));
    expect(heading(/Added/)).toHaveAttribute("aria-sort", "ascending");
  });
});
