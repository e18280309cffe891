import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { domainError, zodError } from "./support/fake-server";
import { contact, WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";

const LIST = `/w/${WORKSPACE_ID}/contacts`;

describe("add-contact form", () => {
  it("checks each field with the server's schema on blur and on save, sending nothing while a field is invalid", async () => {
    const saved = contact({ name: "Grace Hopper", email: "grace@navy.example", tags: ["pioneer", "vip"] });
    const { server, user } = await renderApp({
      path: LIST,
      handlers: {
        "contacts.create": () => saved,
        "contacts.list": () => ({ items: [saved], nextCursor: null }),
      },
    });

    await user.click(await screen.findByRole("button", { name: "Add contact" }));
    const name = screen.getByLabelText("Name");
    const email = screen.getByLabelText("Email");
    const phone = screen.getByLabelText("Phone");
    expect(name).toHaveFocus();
    await user.type(email, "grace@navy");
    await user.tab();
    // On leaving the field, with contacts.create's own message.
    expect(email).toHaveAccessibleDescription("must be a valid email address");
    expect(email).toHaveAttribute("aria-invalid", "true");
    // The name, focused on opening and left empty, is required.
    expect(name).toHaveAccessibleDescription("must not be empty");
    expect(screen.getByLabelText("Company")).not.toHaveAttribute("aria-invalid");

    await user.type(phone, "call me");
    await user.click(screen.getByRole("button", { name: "Save contact" }));
    await waitFor(() => expect(phone).toHaveAccessibleDescription("may contain only digits, spaces and + ( ) . - / x"));
    expect(name).toHaveAttribute("aria-invalid", "true");
    // Focus goes to the first field in error.
    expect(name).toHaveFocus();
    expect(server.callsTo("contacts.create")).toHaveLength(0);

    await user.type(name, "Grace Hopper");
    await user.clear(email);
    await user.type(email, "grace@navy.example");
    await user.clear(phone);
    await user.type(screen.getByLabelText("Tags"), "pioneer, vip");
    await user.click(screen.getByRole("button", { name: "Save contact" }));
    await waitFor(() => expect(server.callsTo("contacts.create")).toHaveLength(1));
    expect(server.callsTo("contacts.create")[0]!.input).toMatchObject({
      workspaceId: WORKSPACE_ID,
      name: "Grace Hopper",
      email: "grace@navy.example",
      phone: null,
      tags: ["pioneer", "vip"],
    });
  });

  it("shows the server's zod errors inline next to each field, and saves once they are fixed", async () => {
    const { server, user } = await renderApp({
      path: LIST,
      handlers: {
        "contacts.create": () => {
          throw zodError([
            { path: ["email"], message: "must be a valid email address" },
            { path: ["phone"], message: "may contain only digits, spaces and + ( ) . - / x" },
          ]);
        },
      },
    });

    // Values the browser's copy of the schema accepts; the server's answer is what shows.
    await user.click(await screen.findByRole("button", { name: "Add contact" }));
    await user.type(screen.getByLabelText("Name"), "Grace Hopper");
    await user.type(screen.getByLabelText("Email"), "grace@navy.example");
    await user.type(screen.getByLabelText("Phone"), "555 0100");
    await user.type(screen.getByLabelText("Tags"), "pioneer, vip");
    await user.click(screen.getByRole("button", { name: "Save contact" }));

    const email = screen.getByLabelText("Email");
    const phone = screen.getByLabelText("Phone");
    await waitFor(() => expect(email).toHaveAccessibleDescription(/must be a valid email address/));
    expect(email).toHaveAttribute("aria-invalid", "true");
    expect(phone).toHaveAccessibleDescription(/may contain only digits/);
    expect(phone).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Name")).not.toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Company")).not.toHaveAttribute("aria-invalid", "true");
    // What was sent is what the person typed (tags split, workspace from the URL).
    expect(server.callsTo("contacts.create")[0]!.input).toMatchObject({
      workspaceId: WORKSPACE_ID,
      name: "Grace Hopper",
      email: "grace@navy.example",
      phone: "555 0100",
      tags: ["pioneer", "vip"],
    });

    // Fixed → saved, and the list asks the server again.
    const saved = contact({ name: "Grace Hopper", email: "grace@navy.example", tags: ["pioneer", "vip"] });
    server.on({
      "contacts.create": () => saved,
      "contacts.list": () => ({ items: [saved], nextCursor: null }),
    });
    const listCallsBefore = server.callsTo("contacts.list").length;
    await user.clear(phone);
    await user.click(screen.getByRole("button", { name: "Save contact" }));
    await waitFor(() => expect(server.callsTo("contacts.create")).toHaveLength(2));
    expect(server.callsTo("contacts.create")[1]!.input).toMatchObject({ email: "grace@navy.example", phone: null });
    await waitFor(() => expect(server.callsTo("contacts.list").length).toBeGreaterThan(listCallsBefore));
    expect(await screen.findByRole("checkbox", { name: "Select Grace Hopper" })).toBeInTheDocument();
    expect(screen.queryByText(/must be a valid email address/)).toBeNull();
  });

  it("on CONFLICT shows the message on the email field and links to the existing contact", async () => {
    const existing = contact({ name: "Grace B. Hopper", email: "grace@navy.example" });
    const { user } = await renderApp({
      path: LIST,
      handlers: {
        "contacts.create": () => {
          throw domainError("CONFLICT", "A contact with this email already exists in this workspace.", {
            existingContactId: existing.id,
            field: "email",
          });
        },
        "contacts.get": (input: { contactId: string }) => {
          if (input.contactId !== existing.id) throw domainError("NOT_FOUND", "Contact not found");
          return existing;
        },
        "interactions.listForContact": () => ({ items: [], nextCursor: null }),
      },
    });

    await user.click(await screen.findByRole("button", { name: "Add contact" }));
    await user.type(screen.getByLabelText("Name"), "Grace Hopper");
    await user.type(screen.getByLabelText("Email"), "grace@navy.example");
    await user.click(screen.getByRole("button", { name: "Save contact" }));

    await waitFor(() => expect(screen.getByLabelText("Email")).toHaveAccessibleDescription(/already exists/));
    const link = await screen.findByRole("link", { name: /existing contact/i });
    expect(link).toHaveAttribute("href", `/w/${WORKSPACE_ID}/contacts/${existing.id}`);

    // Following it opens that contact in the app.
    await user.click(link);
    expect(await screen.findByRole("heading", { level: 1, name: "Grace B. Hopper" })).toBeInTheDocument();
    expect(window.location.pathname).toBe(`/w/${WORKSPACE_ID}/contacts/${existing.id}`);
    within(document.body).getByRole("button", { name: "Log interaction" });
  });
});
