/**
 * Creating a workspace: the name is checked in the browser with the server's own
 * schema (@rapport/core/schemas), so a blank name shows its error at once and
 * nothing is sent; once created, the workspace opens on Today (its first-run checklist).
 */
import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";

describe("create workspace form", () => {
  it("shows the schema's error on the field without calling the server, then creates once the name is valid and opens it on Today", async () => {
    let created = false;
    const { server, user } = await renderApp({
      path: "/",
      handlers: {
        "workspaces.list": () =>
          created ? [{ id: WORKSPACE_ID, name: "Acme Sales", role: "owner", createdAt: new Date() }] : [],
        "workspaces.create": (input: { name: string }) => {
          created = true;
          return { id: WORKSPACE_ID, name: input.name, createdAt: new Date() };
        },
        // The new, empty workspace's Today page.
        "contacts.count": () => ({ count: 0, exact: true }),
        "tasks.list": () => ({ items: [], nextCursor: null }),
        "reconnect.list": () => ({ asOf: new Date(), items: [] }),
        "activity.list": () => ({ items: [], nextCursor: null }),
        "invitations.listPending": () => [],
        "gmail.status": () => ({ configured: false, demo: false, connected: false, syncing: false }),
      },
    });
    const name = await screen.findByRole("textbox", { name: "Workspace name" });
    await user.type(name, "   ");
    await user.click(screen.getByRole("button", { name: "Create workspace" }));

    expect(await screen.findByText("must not be empty")).toBeInTheDocument();
    expect(name).toHaveAttribute("aria-invalid", "true");
    expect(name).toHaveAccessibleDescription("must not be empty");
    expect(server.callsTo("workspaces.create")).toHaveLength(0);

    await user.clear(name);
    await user.type(name, "  Acme Sales ");
    await user.click(screen.getByRole("button", { name: "Create workspace" }));
    await waitFor(() => expect(server.callsTo("workspaces.create")).toHaveLength(1));
    expect(server.callsTo("workspaces.create")[0]!.input).toEqual({ name: "Acme Sales" });
    await waitFor(() => expect(window.location.pathname).toBe(`/w/${WORKSPACE_ID}/today`));
    await screen.findByRole("heading", { level: 1, name: "Today" });
    expect(await screen.findByRole("region", { name: "Get started" })).toHaveTextContent("0 of 4 done");
  });
});
