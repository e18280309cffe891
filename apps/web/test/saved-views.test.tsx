import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { USER, WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";

const LIST = `/w/${WORKSPACE_ID}/contacts`;
const at = new Date("2026-03-01T00:00:00Z");
const view = (id: string, name: string, mine: boolean, extra: Record<string, unknown> = {}) => ({
  id,
  name,
  shared: !mine,
  mine,
  ownerId: mine ? USER.id : "00000000-0000-4000-8000-0000000000b2",
  filters: {},
  sort: "updated",
  columns: ["name", "email", "company", "title", "phone", "tags"],
  createdAt: at,
  updatedAt: at,
  ...extra,
});

describe("saved views on the contacts list", () => {
  it("applying a view sets the list's filters, sort and columns in the address; a member deletes only their own views", async () => {
    const views = [
      view("00000000-0000-4000-8000-0000000000a1", "Gmail VIPs", false, {
        filters: { tag: "vip", source: "gmail" },
        sort: "name",
        columns: ["name", "email"],
      }),
      view("00000000-0000-4000-8000-0000000000a2", "My leads", true, { filters: { company: "Acme" } }),
    ];
    const { server, user } = await renderApp({
      path: LIST,
      role: "member",
      handlers: {
        "views.list": () => views,
        "views.delete": () => ({ deleted: true }),
      },
    });
    await user.click(await screen.findByText("Views"));
    const list = await screen.findByRole("list", { name: "Saved views" });
    expect(within(list).queryByRole("button", { name: "Delete the view Gmail VIPs" })).toBeNull();

    await user.click(within(list).getByRole("button", { name: "Gmail VIPs" }));
    await waitFor(() => {
      const params = new URLSearchParams(window.location.search);
      expect(params.get("tag")).toBe("vip");
      expect(params.get("source")).toBe("gmail");
      expect(params.get("sort")).toBe("name");
      expect(params.get("cols")).toBe("name,email");
    });
    await waitFor(() =>
      expect(server.callsTo("contacts.list").at(-1)!.input).toMatchObject({
        tag: "vip",
        source: "gmail",
        sort: "name",
      }),
    );
    expect(screen.getByLabelText("Tag filter")).toHaveValue("vip");

    await user.click(within(list).getByRole("button", { name: "Delete the view My leads" }));
    await waitFor(() =>
      expect(server.callsTo("views.delete")[0]!.input).toEqual({ workspaceId: WORKSPACE_ID, viewId: views[1]!.id }),
    );
    expect(server.unhandled).toEqual([]);
  });

  it("an admin may delete another member's shared view, and change none of it", async () => {
    const shared = view("00000000-0000-4000-8000-0000000000a3", "Team list", false);
    const { server, user } = await renderApp({
      path: LIST,
      role: "admin",
      handlers: { "views.list": () => [shared], "views.delete": () => ({ deleted: true }) },
    });
    await user.click(await screen.findByText("Views"));
    const list = await screen.findByRole("list", { name: "Saved views" });
    expect(within(list).queryByRole("button", { name: "Rename the view Team list" })).toBeNull();
    expect(within(list).queryByRole("button", { name: "Unshare the view Team list" })).toBeNull();
    await user.click(within(list).getByRole("button", { name: "Delete the view Team list" }));
    await waitFor(() =>
      expect(server.callsTo("views.delete")[0]!.input).toEqual({ workspaceId: WORKSPACE_ID, viewId: shared.id }),
    );
    expect(server.unhandled).toEqual([]);
  });

  describe("the current view after a reload", () => {
    const leads = view("00000000-0000-4000-8000-0000000000a4", "Acme leads", true, { filters: { company: "Acme" } });
    const kept = `rapport.currentView.${WORKSPACE_ID}`;
    const open = async (path: string) => {
      const { user } = await renderApp({ path, handlers: { "views.list": () => [leads] } });
      await user.click(await screen.findByText("Views"));
      const list = await screen.findByRole("list", { name: "Saved views" });
      return within(list).findByRole("button", { name: "Acme leads" });
    };

    it("is current again while the list still shows it", async () => {
      sessionStorage.setItem(kept, leads.id);
      const button = await open(`${LIST}?company=Acme`);
      await waitFor(() => expect(button).toHaveAttribute("aria-current", "true"));
      expect(sessionStorage.getItem(kept)).toBe(leads.id);
    });

    it("is forgotten when the list is opened without its filters", async () => {
      sessionStorage.setItem(kept, leads.id);
      const button = await open(LIST);
      await waitFor(() => expect(sessionStorage.getItem(kept)).toBeNull());
      expect(button).not.toHaveAttribute("aria-current");
      expect(screen.queryByText("● modified")).toBeNull();
    });
  });

  it("saves the current view under a name, shared when asked, with the list's filters, sort and columns", async () => {
    const { server, user } = await renderApp({
      path: `${LIST}?tag=lead&sort=created&cols=name,tags`,
      handlers: {
        "views.create": (input: Record<string, unknown>) =>
          view("00000000-0000-4000-8000-0000000000a3", "Leads", true, input),
      },
    });
    await user.click(await screen.findByText("Views"));
    expect(await screen.findByText("No saved views yet.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Save current view…" }));
    await user.type(screen.getByLabelText("View name"), "Leads");
    await user.click(screen.getByRole("checkbox", { name: "Share with the workspace" }));
    await user.click(screen.getByRole("button", { name: "Save view" }));
    await waitFor(() =>
      expect(server.callsTo("views.create")[0]!.input).toEqual({
        workspaceId: WORKSPACE_ID,
        name: "Leads",
        shared: true,
        filters: { tag: "lead" },
        sort: "created",
        columns: ["name", "tags"],
      }),
    );
    // The list of views is read again after saving.
    await waitFor(() => expect(server.callsTo("views.list").length).toBeGreaterThanOrEqual(2));
    expect(server.unhandled).toEqual([]);
  });
});
