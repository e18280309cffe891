/**
 * Ownership transfer and workspace deletion in the SPA: the Members page's
 * "Transfer ownership" and "Delete this workspace" (owners only), the notice
 * every member sees while a deletion is scheduled, and the Privacy page's list
 * of sole-owned workspaces with both ways out. Only fetch is faked.
 */
import type { WorkspaceRole } from "../src/trpc";
import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { domainError } from "./support/fake-server";
import { USER, workspace, WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";

const DAY = 86_400_000;
const MEMBERS = `/w/${WORKSPACE_ID}/members`;
const BEN = {
  userId: "55555555-5555-4555-8555-555555555555",
  email: "ben@example.com",
  name: "Ben Weber",
  role: "member" as const,
  joinedAt: new Date("2026-01-02T00:00:00Z"),
};

function members(myRole: WorkspaceRole, benRole: WorkspaceRole = "member") {
  return [
    { userId: USER.id, email: USER.email, name: USER.name, role: myRole, joinedAt: new Date("2026-01-01T00:00:00Z") },
    { ...BEN, role: benRole },
  ];
}

function scheduled(effectiveAt: Date) {
  return {
    scheduled: {
      deletionId: "66666666-6666-4666-8666-666666666666",
      requestedAt: new Date(effectiveAt.getTime() - 30 * DAY),
      effectiveAt,
      requestedBy: USER.id,
      requestedByName: USER.name,
    },
  };
}

describe("Transfer ownership", () => {
  it("an owner picks a member, confirms, and the member becomes owner", async () => {
    let transferred = false;
    const { server, user } = await renderApp({
      path: MEMBERS,
      handlers: {
        "invitations.listPending": () => [],
        "workspaces.members": () => (transferred ? members("admin", "owner") : members("owner")),
        "workspaces.list": () => [workspace(transferred ? "admin" : "owner")],
        "workspaces.transferOwnership": () => {
          transferred = true;
          return { workspaceId: WORKSPACE_ID, ownerId: BEN.userId, ownerName: BEN.name, yourRole: "admin" };
        },
      },
    });
    const section = await screen.findByRole("region", { name: "Transfer ownership" });
    const submit = await within(section).findByRole("button", { name: "Transfer ownership" });
    expect(submit).toBeDisabled();
    await user.selectOptions(within(section).getByLabelText("New owner"), BEN.userId);
    await user.click(submit);

    const dialog = await screen.findByRole("dialog", { name: "Make Ben Weber the owner?" });
    expect(dialog).toHaveTextContent("You become an admin");
    await user.click(within(dialog).getByRole("button", { name: "Yes, transfer" }));
    // Said by the page: the section itself goes once I am no longer an owner.
    expect(await screen.findByText("Ben Weber now owns Acme Sales. You are an admin.")).toBeInTheDocument();
    expect(server.callsTo("workspaces.transferOwnership").map((call) => call.input)).toEqual([
      { workspaceId: WORKSPACE_ID, userId: BEN.userId },
    ]);
    // The lists are fetched again: my role and Ben's changed.
    await waitFor(() => expect(screen.queryByRole("region", { name: "Transfer ownership" })).toBeNull());
    expect(screen.getByText("You: Admin")).toBeInTheDocument();
    expect(server.unhandled).toEqual([]);
  });

  it("admins and members see neither the transfer nor the danger zone", async () => {
    await renderApp({ path: MEMBERS, role: "admin", handlers: { "workspaces.members": () => members("admin") } });
    await screen.findByRole("heading", { name: "Members", level: 1 });
    expect(screen.queryByRole("region", { name: "Transfer ownership" })).toBeNull();
    expect(screen.queryByRole("region", { name: "Delete this workspace" })).toBeNull();
  });
});

describe("Delete this workspace", () => {
  it("is unlocked only by the exact name; then shows the date and can be cancelled", async () => {
    const effectiveAt = new Date(Date.now() + 30 * DAY);
    let pending = false;
    const { server, user } = await renderApp({
      path: MEMBERS,
      handlers: {
        "invitations.listPending": () => [],
        "workspaces.members": () => members("owner"),
        "workspaces.deletionStatus": () => (pending ? scheduled(effectiveAt) : { scheduled: null }),
        "workspaces.requestDeletion": (input: { confirmation: string }) => {
          if (input.confirmation.trim() !== "Acme Sales")
            throw domainError("BAD_REQUEST", "Type the workspace's name exactly to confirm its deletion.", {
              path: ["confirmation"],
            });
          pending = true;
          return {
            deletionId: "66666666-6666-4666-8666-666666666666",
            status: "scheduled",
            effectiveAt,
            warning: "The workspace … will be deleted irreversibly on 2026-04-01. Any owner can cancel until then.",
          };
        },
        "workspaces.cancelDeletion": () => {
          pending = false;
          return { deletionId: "66666666-6666-4666-8666-666666666666", status: "cancelled" };
        },
        "gdpr.myOperations": () => [],
      },
    });
    const section = await screen.findByRole("region", { name: "Delete this workspace" });
    const field = await within(section).findByLabelText("Type the workspace's name, Acme Sales, to confirm");
    const submit = within(section).getByRole("button", { name: "Schedule workspace deletion" });
    expect(submit).toBeDisabled();
    await user.type(field, "acme sales");
    expect(submit).toBeDisabled();
    await user.clear(field);
    await user.type(field, "Acme Sales");
    expect(submit).toBeEnabled();
    await user.click(submit);

    const status = await within(section).findByText(/^Acme Sales will be deleted on /);
    expect(status.textContent).toMatch(/\(in (29|30) days\)/);
    expect(within(section).getByText(/irreversibly on 2026-04-01/)).toBeInTheDocument();
    expect(server.callsTo("workspaces.requestDeletion").map((call) => call.input)).toEqual([
      { workspaceId: WORKSPACE_ID, confirmation: "Acme Sales" },
    ]);
    // Every page of the workspace now carries the notice, with the way to cancel for owners.
    const notice = screen.getAllByRole("status").find((element) => element.textContent?.includes("scheduled it"))!;
    expect(within(notice).getByRole("link", { name: "Cancel the deletion on the Members page" })).toHaveAttribute(
      "href",
      `${MEMBERS}#delete-workspace`,
    );

    await user.click(within(section).getByRole("button", { name: "Cancel deletion" }));
    expect(await within(section).findByText("Deletion cancelled. Acme Sales stays as it is.")).toBeInTheDocument();
    expect(server.callsTo("workspaces.cancelDeletion")).toHaveLength(1);
    expect(server.unhandled).toEqual([]);
  });
});

describe("scheduled deletion notice", () => {
  it("a member sees when the workspace goes and who asked, on every workspace page", async () => {
    const effectiveAt = new Date(Date.now() + 12 * DAY + 3_600_000);
    await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts`,
      role: "member",
      handlers: { "workspaces.deletionStatus": () => scheduled(effectiveAt) },
    });
    const notice = await screen.findByText(/^Acme Sales will be deleted on /);
    expect(notice.textContent).toMatch(/\(in 12 days\)/);
    const box = notice.closest("[role=status]")!;
    expect(box).toHaveTextContent("Ana Ruiz scheduled it");
    expect(box).toHaveTextContent("Ask an owner if it should stay.");
    expect(within(box as HTMLElement).queryByRole("link")).toBeNull();
  });

  it("says nothing when no deletion is scheduled", async () => {
    const { server } = await renderApp({ path: `/w/${WORKSPACE_ID}/contacts`, role: "member" });
    await screen.findByRole("heading", { name: "Contacts", level: 1 });
    await waitFor(() => expect(server.callsTo("workspaces.deletionStatus")).toHaveLength(1));
    expect(screen.queryByText(/will be deleted on/)).toBeNull();
  });
});

describe("Privacy page: sole-owned workspaces", () => {
  it("lists the workspaces that block the account's deletion with both ways out; scheduled ones no longer block", async () => {
    await renderApp({
      path: "/privacy",
      handlers: {
        "gdpr.restrictionStatus": () => ({ restricted: false, restrictions: [] }),
        "gdpr.myOperations": () => [
          {
            id: "99999999-9999-4999-8999-999999999999",
            workspaceId: null,
            type: "workspace_deletion",
            subjectKind: "workspace",
            subjectId: "88888888-8888-4888-8888-888888888888",
            reason: null,
            status: "pending",
            requestedBy: USER.id,
            authorizedBy: USER.id,
            requestedAt: new Date(Date.now() - 25 * DAY),
            dueAt: new Date(Date.now() + 5 * DAY),
            effectiveAt: new Date(Date.now() + 5 * DAY),
            completedAt: null,
            updatedAt: new Date(Date.now() - 25 * DAY),
            overdue: false,
          },
        ],
        "workspaces.soleOwned": () => [
          { workspaceId: WORKSPACE_ID, name: "Acme Sales", members: 3, otherOwners: 0, deletionScheduledAt: null },
          {
            workspaceId: "77777777-7777-4777-8777-777777777777",
            name: "Solo",
            members: 1,
            otherOwners: 0,
            deletionScheduledAt: null,
          },
          {
            workspaceId: "88888888-8888-4888-8888-888888888888",
            name: "Going Away",
            members: 2,
            otherOwners: 0,
            deletionScheduledAt: new Date(Date.now() + 5 * DAY),
          },
        ],
      },
    });
    const section = await screen.findByRole("region", { name: "Delete my account" });
    await within(section).findByText(/You are the only owner of these workspaces/);
    expect(within(section).getByRole("link", { name: "Transfer ownership of Acme Sales" })).toHaveAttribute(
      "href",
      `${MEMBERS}#transfer-ownership`,
    );
    expect(within(section).getByRole("link", { name: "Delete workspace Acme Sales" })).toHaveAttribute(
      "href",
      `${MEMBERS}#delete-workspace`,
    );
    expect(within(section).getByText(/only you: add a member to hand it over/)).toBeInTheDocument();
    expect(within(section).queryByText("Going Away")).toBeNull();
    // The scheduled workspace deletion is in my requests, with its date.
    const requests = screen.getByRole("table", { name: "My privacy requests" });
    expect(within(requests).getByText("Workspace deletion")).toBeInTheDocument();
    expect(within(requests).getByText("Scheduled")).toBeInTheDocument();
    expect(within(requests).getByText(/takes effect/)).toBeInTheDocument();
  });
});

describe("Workspace settings", () => {
  it("an admin renames the workspace and sets its phone country; the top bar takes the new name", async () => {
    let saved = { name: "Acme Sales", phoneCountry: null as string | null };
    const { server, user } = await renderApp({
      path: MEMBERS,
      role: "admin",
      handlers: {
        "invitations.listPending": () => [],
        "workspaces.members": () => members("admin"),
        "workspaces.list": () => [{ ...workspace("admin"), ...saved }],
        "workspaces.update": (input: { name?: string; phoneCountry?: string | null }) => {
          saved = { name: input.name ?? saved.name, phoneCountry: input.phoneCountry ?? null };
          return { id: WORKSPACE_ID, ...saved };
        },
      },
    });
    const section = await screen.findByRole("region", { name: "Workspace settings" });
    const save = within(section).getByRole("button", { name: "Save settings" });
    expect(save).toBeDisabled();
    const country = within(section).getByLabelText("Phone numbers without a country code are from");
    await waitFor(() => expect(within(country).getByRole("option", { name: "Germany (+49)" })).toBeInTheDocument());
    const name = within(section).getByLabelText("Name");
    await user.clear(name);
    await user.type(name, "Acme Europe");
    await user.selectOptions(country, "DE");
    await user.click(save);

    expect(await within(section).findByText("Settings saved.")).toBeInTheDocument();
    expect(server.callsTo("workspaces.update").map((call) => call.input)).toEqual([
      { workspaceId: WORKSPACE_ID, name: "Acme Europe", phoneCountry: "DE" },
    ]);
    // workspaces.list is fetched again: the switcher names the workspace anew.
    await waitFor(() => expect(screen.getAllByText("Acme Europe").length).toBeGreaterThan(0));
    expect(
      within(section).getByLabelText<HTMLSelectElement>("Phone numbers without a country code are from").value,
    ).toBe("DE");
    expect(server.unhandled).toEqual([]);
  });

  it("an empty name is refused before anything is sent", async () => {
    const { server, user } = await renderApp({
      path: MEMBERS,
      handlers: { "invitations.listPending": () => [], "workspaces.members": () => members("owner") },
    });
    const section = await screen.findByRole("region", { name: "Workspace settings" });
    await user.clear(within(section).getByLabelText("Name"));
    await user.click(within(section).getByRole("button", { name: "Save settings" }));
    expect(await within(section).findByText(/required|empty/i)).toBeInTheDocument();
    expect(server.callsTo("workspaces.update")).toEqual([]);
  });

  it("members see no settings", async () => {
    await renderApp({ path: MEMBERS, role: "member", handlers: { "workspaces.members": () => members("member") } });
    await screen.findByRole("heading", { name: "Members", level: 1 });
    expect(screen.queryByRole("region", { name: "Workspace settings" })).toBeNull();
  });
});
