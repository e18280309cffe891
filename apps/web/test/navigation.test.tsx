/**
 * Addresses and focus: redirects rewrite the address without moving focus; a link
 * or Back moves focus to the page's <main> (screen readers start at the new content);
 * unknown addresses show "Page not found".
 */
import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";

const main = () => document.getElementById("main");

describe("navigation", () => {
  it("opens /w/:ws/ as the workspace's Today page, in place, leaving focus alone", async () => {
    await renderApp({
      path: `/w/${WORKSPACE_ID}/`,
      handlers: {
        "reconnect.list": () => ({ asOf: new Date(), items: [] }),
        "activity.list": () => ({ items: [], nextCursor: null }),
      },
    });
    await waitFor(() => expect(window.location.pathname).toBe(`/w/${WORKSPACE_ID}/today`));
    await screen.findByRole("heading", { name: "Today", level: 1 });
    expect(main()).not.toHaveFocus();
  });

  it("moves focus to the page after a link and after Back", async () => {
    const { user } = await renderApp({ path: `/w/${WORKSPACE_ID}/contacts` });
    await screen.findByRole("heading", { name: "Contacts", level: 1 });
    const nav = screen.getByRole("navigation", { name: "Workspace sections" });
    expect(within(nav).getByRole("link", { name: "Contacts" })).toHaveAttribute("aria-current", "page");

    await user.click(within(nav).getByRole("link", { name: "Members" }));
    await waitFor(() => expect(window.location.pathname).toBe(`/w/${WORKSPACE_ID}/members`));
    await waitFor(() => expect(main()).toHaveFocus());
    expect(within(nav).getByRole("link", { name: "Members" })).toHaveAttribute("aria-current", "page");
    expect(within(nav).getByRole("link", { name: "Contacts" })).not.toHaveAttribute("aria-current");

    screen.getByRole("link", { name: "Skip to content" }).focus();
    act(() => window.history.back());
    await waitFor(() => expect(window.location.pathname).toBe(`/w/${WORKSPACE_ID}/contacts`));
    await waitFor(() => expect(main()).toHaveFocus());
  });

  it("says when there is nothing at an address", async () => {
    await renderApp({ path: "/no/such/page" });
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeInTheDocument();
  });

  it("says so for a workspace address whose id is not an id", async () => {
    await renderApp({ path: "/w/not-a-workspace-id/contacts" });
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeInTheDocument();
  });
});
