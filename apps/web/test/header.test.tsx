/**
 * The top bar: the phone-width menu (a disclosure: Escape, outside clicks and
 * navigation close it), the operators' sections grouped under "Admin", and the
 * "degraded" banner shown to owners and admins only.
 */
import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";

const DEGRADED = { status: "degraded", degraded: ["no Redis: jobs, events and rate limits run in this process only"] };

describe("top bar", () => {
  it("the Menu button opens and closes the sections, the user's links and the header actions", async () => {
    const { user } = await renderApp({ path: `/w/${WORKSPACE_ID}/contacts` });
    await screen.findByRole("heading", { name: "Contacts", level: 1 });
    const button = screen.getByRole("button", { name: "Menu" });
    const menu = document.getElementById(button.getAttribute("aria-controls")!)!;
    expect(button).toHaveAttribute("aria-expanded", "false");
    expect(menu).not.toHaveAttribute("data-open");
    expect(within(menu).getByRole("navigation", { name: "Workspace sections" })).toBeInTheDocument();
    expect(within(menu).getByRole("button", { name: "Sign out" })).toBeInTheDocument();
    expect(within(menu).getByRole("link", { name: "My privacy" })).toBeInTheDocument();

    await user.click(button);
    expect(button).toHaveAttribute("aria-expanded", "true");
    expect(menu).toHaveAttribute("data-open");

    // Escape closes it and gives focus back to its button.
    await user.keyboard("{Escape}");
    expect(button).toHaveAttribute("aria-expanded", "false");
    expect(button).toHaveFocus();

    // A click outside closes it.
    await user.click(button);
    await user.click(screen.getByRole("heading", { name: "Contacts", level: 1 }));
    expect(button).toHaveAttribute("aria-expanded", "false");

    // Following one of its links closes it.
    await user.click(button);
    await user.click(within(menu).getByRole("link", { name: "Members" }));
    await waitFor(() => expect(window.location.pathname).toBe(`/w/${WORKSPACE_ID}/members`));
    await waitFor(() => expect(button).toHaveAttribute("aria-expanded", "false"));
  });

  it("groups the operators' pages, Cache among them, under Admin for owners; members have no such group", async () => {
    await renderApp({ path: `/w/${WORKSPACE_ID}/contacts` });
    const nav = await screen.findByRole("navigation", { name: "Workspace sections" });
    const admin = within(nav).getByRole("list", { name: "Admin" });
    expect(
      within(admin)
        .getAllByRole("link")
        .map((link) => link.textContent),
    ).toEqual(["Audit", "Privacy", "Webhooks", "Cache"]);
    const lists = within(nav).getAllByRole("list");
    expect(within(lists[0]!).queryByRole("link", { name: "Cache" })).toBeNull();
  });

  it("members: no Admin group", async () => {
    await renderApp({ path: `/w/${WORKSPACE_ID}/contacts`, role: "member" });
    const nav = await screen.findByRole("navigation", { name: "Workspace sections" });
    expect(within(nav).getByRole("link", { name: "Contacts" })).toBeInTheDocument();
    expect(within(nav).queryByRole("list", { name: "Admin" })).toBeNull();
    expect(within(nav).queryByRole("link", { name: "Cache" })).toBeNull();
  });

  it("shows 'degraded: no Redis' to an owner", async () => {
    await renderApp({ path: `/w/${WORKSPACE_ID}/contacts`, readiness: DEGRADED });
    expect(await screen.findByText(/no Redis: jobs, events/)).toBeInTheDocument();
  });

  it("does not show 'degraded' to a member, but does say when the server is down", async () => {
    const { server } = await renderApp({ path: `/w/${WORKSPACE_ID}/contacts`, role: "member", readiness: DEGRADED });
    await screen.findByRole("heading", { name: "Contacts", level: 1 });
    // The banner's first check has answered by the time the page has rendered its list.
    await waitFor(() => expect(server.calls.length).toBeGreaterThan(0));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.queryByText(/Degraded/)).toBeNull();
    expect(screen.queryByText(/no Redis/)).toBeNull();

    server.setReadiness({ status: "down", degraded: [] });
    window.dispatchEvent(new Event("online"));
    expect(await screen.findByText(/the database is not responding/)).toBeInTheDocument();
  });
});
