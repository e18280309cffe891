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
});
