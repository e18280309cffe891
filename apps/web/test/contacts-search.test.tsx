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
  it("the search box asks search.query once typing pauses, shows the best matches highlighted, and cancels a stale search", async () => {
    const signals: { q: string; signal: AbortSignal | null }[] = [];
    let releaseFirst: () => void = () => {};
    const { server, user } = await renderApp({
      path: LIST,
      handlers: {
        "contacts.list": () => ({ items: contacts(3), nextCursor: null }),
        "search.query": async (input: { q: string }, { signal }) => {
          signals.push({ q: input.q, signal });
          // The first search is slow: the person types on before it answers.
          if (signals.length === 1) await new Promise<void>((resolve) => (releaseFirst = resolve));
          const items =
            input.q === "jen"
              ? [hit("00000000-0000-4000-8000-0000000000a1", "Anna Jensen-Holt", [[5, 8]])]
              : [hit("00000000-0000-4000-8000-0000000000a2", "Jenny Stale", [[0, 2]])];
          return { contacts: { items, more: false }, interactions: empty };
        },
      },
    });
    await screen.findByRole("checkbox", { name: "Select Person 001" });
    const box = screen.getByRole("searchbox", { name: "Search contacts" });
    await user.type(box, "je");
    await waitFor(() => expect(signals).toHaveLength(1));
    // Typing quickly is one request, not one per key.
    expect(signals[0]!.q).toBe("je");
    await user.type(box, "n");
    await waitFor(() => expect(signals.map((s) => s.q)).toEqual(["je", "jen"]));
    // The stale search was cancelled, and its late answer does not replace the new one.
    await waitFor(() => expect(signals[0]!.signal?.aborted).toBe(true));
    releaseFirst();

    const results = await screen.findByRole("list", { name: "Best matches" });
    await waitFor(() => expect(within(results).getAllByRole("listitem")[0]!.textContent).toContain("Jensen"));
    const link = within(results).getByRole("link", { name: "Anna Jensen-Holt" });
    expect(link).toHaveAttribute("href", `/w/${WORKSPACE_ID}/contacts/00000000-0000-4000-8000-0000000000a1`);
    expect(link.querySelector("mark")?.textContent).toBe("Jen");
    expect(within(results).queryByText(/Stale/)).toBeNull();
    expect(server.callsTo("search.query").at(-1)!.input).toMatchObject({
      workspaceId: WORKSPACE_ID,
      q: "jen",
      types: ["contact"],
    });
    // The list itself is not asked to search.
    expect(server.callsTo("contacts.list").some((call) => call.input.search)).toBe(false);
    expect(new URL(window.location.href).searchParams.get("q")).toBe("jen");
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

  it("sorts by clicking a column heading, and the address keeps the sort", async () => {
    const { server, user } = await renderApp({
      path: LIST,
      handlers: { "contacts.list": () => ({ items: contacts(5), nextCursor: null }) },
    });
    await screen.findByRole("checkbox", { name: "Select Person 001" });
    const grid = screen.getByRole("grid", { name: "Contacts" });
    const nameHeading = within(grid).getByRole("columnheader", { name: /Name/ });
    expect(nameHeading).not.toHaveAttribute("aria-sort");
    await user.click(within(nameHeading).getByRole("button", { name: /Name/ }));
    await waitFor(() => expect(server.callsTo("contacts.list").at(-1)!.input.sort).toBe("name"));
    await waitFor(() => expect(new URL(window.location.href).searchParams.get("sort")).toBe("name"));
    expect(within(grid).getByRole("columnheader", { name: /Name/ })).toHaveAttribute("aria-sort", "ascending");
    await user.click(within(grid).getByRole("button", { name: /Updated/ }));
    await waitFor(() => expect(new URL(window.location.href).searchParams.get("sort")).toBeNull());
    expect(within(grid).getByRole("columnheader", { name: /Updated/ })).toHaveAttribute("aria-sort", "descending");
    await user.click(within(grid).getByRole("button", { name: /Updated/ }));
    await waitFor(() => expect(server.callsTo("contacts.list").at(-1)!.input.sort).toBe("created"));
    expect(within(grid).getByRole("columnheader", { name: /Added/ })).toHaveAttribute("aria-sort", "descending");
  });
});
