import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { zodError } from "./support/fake-server";
import { contact, interaction, WORKSPACE_ID, type Interaction } from "./support/fixtures";
import { renderApp } from "./support/render";

describe("log-interaction form", () => {
  it("shows the server's errors on the field, then saves and shows the interaction on the timeline", async () => {
    const person = contact({ name: "Ada Lovelace", email: "ada@example.com", company: "Analytical Engines" });
    const older = interaction({
      contactId: person.id,
      type: "email",
      subject: "Intro email",
      occurredAt: new Date("2026-01-10T09:00:00Z"),
    });
    const timeline: Interaction[] = [older];
    let attempts = 0;
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${person.id}`,
      handlers: {
        "contacts.get": () => person,
        "interactions.listForContact": () => ({ items: [...timeline], nextCursor: null }),
        "interactions.create": (input: Record<string, unknown>) => {
          attempts += 1;
          if (attempts === 1)
            throw zodError([{ path: ["occurredAt"], message: "must be at most one year in the future" }]);
          const created = interaction({
            contactId: person.id,
            type: input.type as Interaction["type"],
            direction: input.direction as Interaction["direction"],
            occurredAt: input.occurredAt as Date,
            subject: (input.subject as string) ?? null,
            summary: (input.summary as string) ?? null,
          });
          timeline.unshift(created);
          // The real service answers { interaction (the row, no participants), created }.
          const { participants: _, ...row } = created;
          return { interaction: row, created: true };
        },
      },
    });

    expect(await screen.findByRole("heading", { level: 1, name: "Ada Lovelace" })).toBeInTheDocument();
    const list = await screen.findByRole("list", { name: "Timeline" });
    await within(list).findByText("Intro email");

    await user.click(screen.getByRole("button", { name: "Log interaction" }));
    await user.selectOptions(screen.getByLabelText("Type"), "meeting");
    await user.selectOptions(screen.getByLabelText("Direction"), "inbound");
    const when = screen.getByLabelText("When");
    await user.clear(when);
    await user.type(when, "2026-03-02T10:30");
    await user.type(screen.getByLabelText("Subject"), "Quarterly review");
    await user.type(screen.getByLabelText("Summary"), "Talked about the difference engine.");
    await user.click(screen.getByRole("button", { name: "Save interaction" }));

    await waitFor(() =>
      expect(screen.getByLabelText("When")).toHaveAccessibleDescription(/at most one year in the future/),
    );
    expect(screen.getByLabelText("When")).toHaveAttribute("aria-invalid", "true");
    const first = server.callsTo("interactions.create")[0]!.input;
    expect(first).toMatchObject({
      workspaceId: WORKSPACE_ID,
      contactId: person.id,
      type: "meeting",
      direction: "inbound",
      subject: "Quarterly review",
      summary: "Talked about the difference engine.",
    });
    // "When" is the person's local time, sent as an instant.
    expect(new Date(first.occurredAt).getTime()).toBe(new Date(2026, 2, 2, 10, 30).getTime());

    // Second try succeeds: the form closes (or resets) and the timeline shows it, newest first.
    await user.click(screen.getByRole("button", { name: "Save interaction" }));
    await waitFor(() => expect(server.callsTo("interactions.create")).toHaveLength(2));
    await within(list).findByText("Quarterly review");
    const items = within(list).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("Quarterly review");
    expect(items.at(-1)).toHaveTextContent("Intro email");
    expect(screen.queryByText(/at most one year in the future/)).toBeNull();
  });

  it("refuses an empty form without sending it; a note has no direction and none is sent", async () => {
    const person = contact({ name: "Ada Lovelace" });
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${person.id}`,
      handlers: {
        "contacts.get": () => person,
        "interactions.listForContact": () => ({ items: [], nextCursor: null }),
        "interactions.create": (input: Record<string, unknown>) => {
          const { participants: _, ...row } = interaction({
            contactId: person.id,
            type: input.type as Interaction["type"],
            direction: (input.direction as Interaction["direction"]) ?? null,
            occurredAt: input.occurredAt as Date,
            subject: (input.subject as string) ?? null,
            summary: (input.summary as string) ?? null,
          });
          return { interaction: row, created: true };
        },
      },
    });
    await screen.findByRole("heading", { level: 1, name: "Ada Lovelace" });
    await user.click(screen.getByRole("button", { name: "Log interaction" }));

    // Nothing typed: refused in the browser with the server's rule, nothing sent.
    await user.click(screen.getByRole("button", { name: "Save interaction" }));
    await waitFor(() =>
      expect(screen.getByLabelText("Subject")).toHaveAccessibleDescription(/give a subject or a summary/),
    );
    expect(screen.getByLabelText("Subject")).toHaveFocus();
    expect(server.callsTo("interactions.create")).toHaveLength(0);

    // A note: the direction field goes away, and the input carries none.
    expect(screen.getByLabelText("Direction")).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText("Type"), "note");
    expect(screen.queryByLabelText("Direction")).toBeNull();
    await user.type(screen.getByLabelText("Summary"), "Prefers calls in the morning.");
    await user.click(screen.getByRole("button", { name: "Save interaction" }));
    await waitFor(() => expect(server.callsTo("interactions.create")).toHaveLength(1));
    const sent = server.callsTo("interactions.create")[0]!.input as Record<string, unknown>;
    expect(sent).toMatchObject({ type: "note", summary: "Prefers calls in the morning." });
    expect("direction" in sent).toBe(false);

    // On the timeline the note shows no direction either.
    const list = await screen.findByRole("list", { name: "Timeline" });
    const item = await within(list).findByText("Prefers calls in the morning.");
    expect(item.closest("li")).not.toHaveTextContent(/Inbound|Outbound/);
  });

  it("adds other contacts as participants, found as you type; they are sent and shown", async () => {
    const person = contact({ name: "Ada Lovelace" });
    const ben = contact({ name: "Ben Babbage", email: "ben@example.com", company: "Engines" });
    const bella = contact({ name: "Bella Byron", email: "bella@example.com" });
    const hit = (c: typeof ben, restricted = false) => ({
      id: c.id,
      name: c.name,
      email: c.email,
      company: c.company,
      title: null,
      restricted,
      tier: "prefix",
      highlights: [],
    });
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${person.id}`,
      handlers: {
        "contacts.get": () => person,
        "interactions.listForContact": () => ({ items: [], nextCursor: null }),
        // The page's own contact matches too: it is never offered.
        "search.suggest": () => ({ items: [hit(person), hit(ben), hit(bella)] }),
        "interactions.create": (input: Record<string, unknown>) => {
          const { participants: _, ...row } = interaction({
            contactId: person.id,
            type: input.type as Interaction["type"],
            direction: (input.direction as Interaction["direction"]) ?? null,
            occurredAt: input.occurredAt as Date,
            subject: (input.subject as string) ?? null,
          });
          return { interaction: row, created: true };
        },
      },
    });
    await screen.findByRole("heading", { level: 1, name: "Ada Lovelace" });
    await user.click(screen.getByRole("button", { name: "Log interaction" }));
    await user.type(screen.getByLabelText("Subject"), "Board dinner");

    const combobox = screen.getByRole("combobox", { name: "Also with" });
    await user.type(combobox, "b");
    const listbox = await screen.findByRole("listbox", { name: "Matching contacts" });
    await waitFor(() => expect(within(listbox).getAllByRole("option")).toHaveLength(2));
    expect(within(listbox).queryByText("Ada Lovelace")).toBeNull();
    expect(server.callsTo("search.suggest").at(-1)!.input).toMatchObject({ workspaceId: WORKSPACE_ID, q: "b" });
    expect(combobox).toHaveAttribute("aria-expanded", "true");

    // Keyboard: ↓ moves to Bella, Enter picks her (and does not submit the form).
    await user.keyboard("{ArrowDown}");
    expect(within(listbox).getByRole("option", { name: /Bella Byron/ })).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{Enter}");
    expect(server.callsTo("interactions.create")).toHaveLength(0);
    const chips = screen.getByRole("list", { name: "Participants" });
    expect(within(chips).getByText("Bella Byron")).toBeInTheDocument();
    expect(combobox).toHaveValue("");
    expect(combobox).toHaveFocus();

    // Pointer: pick Ben; a chosen contact is not offered again.
    await user.type(combobox, "b");
    await user.click(await within(listbox).findByRole("option", { name: /Ben Babbage/ }));
    expect(within(chips).getByText("Ben Babbage")).toBeInTheDocument();
    await user.type(combobox, "b");
    await waitFor(() => expect(within(listbox).queryAllByRole("option")).toHaveLength(0));
    expect(await screen.findByText("No other contact matches.")).toBeInTheDocument();
    await user.clear(combobox);

    // Remove Bella again.
    await user.click(within(chips).getByRole("button", { name: "Remove Bella Byron" }));
    expect(within(chips).queryByText("Bella Byron")).toBeNull();

    await user.click(screen.getByRole("button", { name: "Save interaction" }));
    await waitFor(() => expect(server.callsTo("interactions.create")).toHaveLength(1));
    expect(server.callsTo("interactions.create")[0]!.input).toMatchObject({
      subject: "Board dinner",
      participants: [{ contactId: ben.id }],
    });
    const list = await screen.findByRole("list", { name: "Timeline" });
    const item = (await within(list).findByText("Board dinner")).closest("li")!;
    expect(item).toHaveTextContent("With Ben Babbage");
  });
});
