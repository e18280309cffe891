/**
 * A timeline item's actions sit behind its "⋯" menu (the ARIA menu-button pattern),
 * not a button on every item: keyboard and pointer open it, arrows move, Escape
 * and outside clicks close it; "Delete interaction" asks first, then deletes.
 */
import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { contact, interaction, WORKSPACE_ID, type Interaction } from "./support/fixtures";
import { renderApp } from "./support/render";

async function renderTimeline() {
  const person = contact({ name: "Ada Lovelace" });
  const timeline: Interaction[] = [
    interaction({
      contactId: person.id,
      type: "email",
      subject: "Renewal",
      occurredAt: new Date("2026-02-10T09:00:00Z"),
    }),
    interaction({
      contactId: person.id,
      type: "call",
      subject: "Intro call",
      occurredAt: new Date("2026-01-10T09:00:00Z"),
    }),
  ];
  const rendered = await renderApp({
    path: `/w/${WORKSPACE_ID}/contacts/${person.id}`,
    handlers: {
      "contacts.get": () => person,
      "interactions.listForContact": () => ({ items: [...timeline], nextCursor: null }),
      "interactions.delete": (input: { interactionId: string }) => {
        timeline.splice(
          timeline.findIndex((item) => item.id === input.interactionId),
          1,
        );
        return { ok: true };
      },
      "recommendations.forContact": (input: { contactId: string }) => ({
        contactId: input.contactId,
        items: [],
        k: 20,
        includeKnown: false,
        asOf: new Date("2026-03-01T00:00:00Z"),
        computedAt: new Date("2026-03-01T00:00:00Z"),
        cached: false,
      }),
    },
  });
  const list = await screen.findByRole("list", { name: "Timeline" });
  await within(list).findByText("Renewal");
  return { ...rendered, list, timeline };
}

describe("timeline item menu", () => {
  it("has one '⋯' button per item and no delete button until the menu opens", async () => {
    const { list } = await renderTimeline();
    expect(within(list).queryByRole("button", { name: /delete/i })).toBeNull();
    const buttons = within(list).getAllByRole("button", { name: /^Actions for / });
    expect(buttons.map((button) => button.getAttribute("aria-label"))).toEqual([
      "Actions for Renewal",
      "Actions for Intro call",
    ]);
    for (const button of buttons) {
      expect(button).toHaveAttribute("aria-haspopup", "menu");
      expect(button).toHaveAttribute("aria-expanded", "false");
    }
    expect(screen.queryByRole("menu")).toBeNull();
  });

  it("works from the keyboard: Enter opens on the first action, arrows wrap, Escape closes and returns focus", async () => {
    const { user, list } = await renderTimeline();
    const button = within(list).getByRole("button", { name: "Actions for Renewal" });
    button.focus();
    await user.keyboard("{Enter}");
    const menu = await screen.findByRole("menu", { name: "Actions for Renewal" });
    expect(button).toHaveAttribute("aria-expanded", "true");
    expect(button).toHaveAttribute("aria-controls", menu.id);
    const items = within(menu).getAllByRole("menuitem");
    expect(items.map((item) => item.textContent)).toEqual(["Follow up", "Delete interaction"]);
    await waitFor(() => expect(items[0]).toHaveFocus());
    await user.keyboard("{ArrowDown}");
    expect(items[1]).toHaveFocus();
    await user.keyboard("{ArrowDown}");
    expect(items[0]).toHaveFocus();
    await user.keyboard("{End}");
    expect(items.at(-1)).toHaveFocus();

    await user.keyboard("{Escape}");
    expect(screen.queryByRole("menu")).toBeNull();
    expect(button).toHaveFocus();
    expect(button).toHaveAttribute("aria-expanded", "false");

    // ↓ opens it too; Tab leaves and closes it.
    await user.keyboard("{ArrowDown}");
    await screen.findByRole("menu");
    await user.tab();
    expect(screen.queryByRole("menu")).toBeNull();
  });

  it("closes on a click outside; Delete asks first, Cancel returns to the '⋯' button, Yes deletes", async () => {
    const { user, list, server } = await renderTimeline();
    const button = within(list).getByRole("button", { name: "Actions for Intro call" });
    await user.click(button);
    await screen.findByRole("menu");
    await user.click(screen.getByRole("heading", { level: 1, name: "Ada Lovelace" }));
    expect(screen.queryByRole("menu")).toBeNull();

    await user.click(button);
    await user.click(within(await screen.findByRole("menu")).getByRole("menuitem", { name: "Delete interaction" }));
    const confirm = within(list).getByRole("group", { name: "Confirm delete" });
    expect(within(confirm).getByRole("button", { name: "Yes, delete" })).toHaveFocus();
    await user.click(within(confirm).getByRole("button", { name: "Cancel" }));
    const again = within(list).getByRole("button", { name: "Actions for Intro call" });
    await waitFor(() => expect(again).toHaveFocus());
    expect(server.callsTo("interactions.delete")).toHaveLength(0);

    await user.click(again);
    await user.click(within(await screen.findByRole("menu")).getByRole("menuitem", { name: "Delete interaction" }));
    await user.click(within(list).getByRole("button", { name: "Yes, delete" }));
    await waitFor(() => expect(within(list).queryByText("Intro call")).toBeNull());
    expect(server.callsTo("interactions.delete")).toHaveLength(1);
    expect(within(list).getByText("Renewal")).toBeInTheDocument();
  });
});
