/**
 * Invitations in the SPA: owners/admins create a single-use link on the Members page,
 * copy it, see pending invitations and withdraw them; the invitee answers on
 * /invite#<token>. Only fetch is faked (support/fake-server.ts).
 */
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { domainError } from "./support/fake-server";
import { USER, WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";
import type { RouterOutputs } from "../src/trpc";

const TOKEN = `${"A".repeat(20)}b_-${"9".repeat(20)}`;
const INVITATION_ID = "55555555-5555-4555-8555-555555555555";
const OTHER_WORKSPACE = "66666666-6666-4666-8666-666666666666";
const EXPIRES = new Date("2026-03-09T10:00:00Z");

type Pending = RouterOutputs["invitations"]["listPending"][number];

afterEach(() => {
  vi.restoreAllMocks();
  window.location.hash = "";
});

describe("Members page: invitations", () => {
  it("creates a link for an address and role, shows it once to copy, lists it as pending and withdraws it", async () => {
    let pending: Pending[] = [];
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/members`,
      handlers: {
        "invitations.listPending": () => pending,
        "invitations.invite": (input: { email: string; role: Pending["role"] }) => {
          const invitation = {
            id: INVITATION_ID,
            email: input.email.toLowerCase(),
            role: input.role,
            createdAt: new Date(),
            expiresAt: EXPIRES,
          };
          pending = [{ ...invitation, invitedByName: USER.name }];
          return { invitation, link: `/invite#${TOKEN}` };
        },
        "invitations.revoke": () => {
          pending = [];
          return { id: INVITATION_ID, status: "revoked" };
        },
      },
    });

    const form = await screen.findByRole("form", { name: "Invite someone" });
    expect(await screen.findByText("No pending invitations.")).toBeInTheDocument();
    await user.type(within(form).getByLabelText("Email"), "Ben@Example.com");
    await user.selectOptions(within(form).getByLabelText("Role"), "admin");
    await user.click(within(form).getByRole("button", { name: "Create invitation link" }));

    const created = await screen.findByRole("group", { name: "Invitation for ben@example.com as admin created" });
    const link = within(created).getByLabelText("Invitation link");
    expect(link).toHaveValue(`${window.location.origin}/invite#${TOKEN}`);
    expect(link).toHaveAttribute("readonly");
    expect(server.callsTo("invitations.invite").map((c) => c.input)).toEqual([
      { workspaceId: WORKSPACE_ID, email: "Ben@Example.com", role: "admin" },
    ]);
    await user.click(within(created).getByRole("button", { name: "Copy link" }));
    expect(await navigator.clipboard.readText()).toBe(`${window.location.origin}/invite#${TOKEN}`);
    expect(await within(created).findByText("Link copied.")).toBeInTheDocument();

    expect(await screen.findByRole("heading", { name: "Pending invitations (1)" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Withdraw the invitation for ben@example.com" }));
    expect(await screen.findByText(/The invitation for ben@example.com was withdrawn/)).toBeInTheDocument();
    expect(server.callsTo("invitations.revoke").map((c) => c.input)).toEqual([
      { workspaceId: WORKSPACE_ID, invitationId: INVITATION_ID },
    ]);
    expect(await screen.findByText("No pending invitations.")).toBeInTheDocument();
    // The link is no longer offered once withdrawn.
    expect(screen.queryByLabelText("Invitation link")).toBeNull();
  });

  it("checks the address with the server's schema: an invalid one shows on the field and nothing is sent", async () => {
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/members`,
      handlers: { "invitations.listPending": () => [] },
    });
    const form = await screen.findByRole("form", { name: "Invite someone" });
    const email = within(form).getByLabelText("Email");
    await user.click(within(form).getByRole("button", { name: "Create invitation link" }));
    expect(await within(form).findByText("must be a valid email address")).toBeInTheDocument();
    await user.type(email, "ben@");
    await user.click(within(form).getByRole("button", { name: "Create invitation link" }));
    expect(email).toHaveAttribute("aria-invalid", "true");
    expect(email).toHaveAccessibleDescription(expect.stringContaining("must be a valid email address"));
    expect(server.callsTo("invitations.invite")).toHaveLength(0);
  });

  it("admins cannot offer the owner role", async () => {
    await renderApp({
      path: `/w/${WORKSPACE_ID}/members`,
      role: "admin",
      handlers: { "invitations.listPending": () => [] },
    });
    expect(await screen.findByText("No pending invitations.")).toBeInTheDocument();
    const form = await screen.findByRole("form", { name: "Invite someone" });
    const options = within(within(form).getByLabelText("Role"))
      .getAllByRole("option")
      .map((o) => o.textContent);
    expect(options).toEqual(["Member", "Admin"]);
  });

  it("a plain member sees no invitation form and the list is never requested", async () => {
    const { server } = await renderApp({ path: `/w/${WORKSPACE_ID}/members`, role: "member" });
    expect(await screen.findByText(/Only owners and admins can invite people/)).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "Invite someone" })).toBeNull();
    expect(server.callsTo("invitations.listPending")).toEqual([]);
  });
});

describe("/invite#<token>", () => {
  const preview = (state: "pending" | "accepted" | "declined" | "revoked" | "expired" = "pending") => ({
    id: INVITATION_ID,
    workspaceId: OTHER_WORKSPACE,
    workspaceName: "Sales Team",
    role: "admin" as const,
    invitedByName: "Olga Owner",
    expiresAt: EXPIRES,
    state,
  });

  it("shows who invited the person where and as what; accepting opens the workspace on Today", async () => {
    let joined = false;
    const { server, user } = await renderApp({
      path: `/invite#${TOKEN}`,
      handlers: {
        "invitations.preview": () => preview(),
        "invitations.accept": () => {
          joined = true;
          return { workspaceId: OTHER_WORKSPACE, workspaceName: "Sales Team", role: "admin" };
        },
        "workspaces.list": () => [
          { id: WORKSPACE_ID, name: "Acme", role: "owner", createdAt: new Date("2026-01-01") },
          ...(joined
            ? [{ id: OTHER_WORKSPACE, name: "Sales Team", role: "admin", createdAt: new Date("2026-01-01") }]
            : []),
        ],
      },
    });
    const card = await screen.findByRole("region", { name: "Join Sales Team?" });
    expect(card).toHaveTextContent("Olga Owner invited you to join Sales Team as an admin.");
    expect(server.callsTo("invitations.preview").map((c) => c.input)).toEqual([{ token: TOKEN }]);
    await user.click(within(card).getByRole("button", { name: "Accept invitation" }));
    await waitFor(() => expect(window.location.pathname).toBe(`/w/${OTHER_WORKSPACE}/today`));
    await screen.findByRole("heading", { level: 1, name: "Today" });
    expect(server.callsTo("invitations.accept").map((c) => c.input)).toEqual([{ token: TOKEN }]);
  });

  it("declining says so and does not join", async () => {
    let state: "pending" | "declined" = "pending";
    const { server, user } = await renderApp({
      path: `/invite#${TOKEN}`,
      handlers: {
        "invitations.preview": () => preview(state),
        "invitations.decline": () => {
          state = "declined";
          return { id: INVITATION_ID, status: "declined" };
        },
      },
    });
    await user.click(await screen.findByRole("button", { name: "Decline" }));
    expect(await screen.findByText("You declined the invitation to Sales Team.")).toBeInTheDocument();
    expect(server.callsTo("invitations.accept")).toEqual([]);
    expect(window.location.pathname).toBe("/invite");
  });

  it("another address, an unknown link, a used link and a link without token each get a plain explanation", async () => {
    await renderApp({
      path: `/invite#${TOKEN}`,
      handlers: {
        "invitations.preview": () => {
          throw domainError("FORBIDDEN", "This invitation was sent to another address.");
        },
      },
    });
    expect(await screen.findByRole("alert")).toHaveTextContent(
      `This invitation was sent to another address.You are signed in as ${USER.email}`,
    );
    cleanup();

    await renderApp({
      path: `/invite#${TOKEN}`,
      handlers: {
        "invitations.preview": () => {
          throw domainError("NOT_FOUND", "Invitation not found");
        },
      },
    });
    expect(await screen.findByText(/This invitation does not exist/)).toBeInTheDocument();
    cleanup();

    await renderApp({ path: `/invite#${TOKEN}`, handlers: { "invitations.preview": () => preview("accepted") } });
    expect(await screen.findByText("This invitation has already been used.")).toBeInTheDocument();
    cleanup();

    const { server } = await renderApp({ path: "/invite" });
    expect(await screen.findByText(/This invitation link is incomplete/)).toBeInTheDocument();
    expect(server.callsTo("invitations.preview")).toEqual([]);
  });

  it("signed out, the sign-in form says to use the invited address and keeps the link", async () => {
    await renderApp({ path: `/invite#${TOKEN}`, signedIn: false });
    expect(
      await screen.findByText(/Sign in, or create an account, with the address the invitation was sent to/),
    ).toBeInTheDocument();
    expect(await screen.findByRole("heading", { name: "Sign in to Rapport" })).toBeInTheDocument();
    expect(window.location.hash).toBe(`#${TOKEN}`);
  });
});
