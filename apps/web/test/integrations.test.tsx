/**
 * The Integrations page: the member's Gmail connection at all times — Connect, the connection
 * card (address, status, last sync and counts, next sync countdown, last error with Reconnect),
 * Sync now with its progress, the frequency (checked with the server's schema before sending),
 * pause/resume, disconnect after confirming; and /integrations completing Google's consent.
 * Only fetch is faked (support/fake-server.ts).
 */
import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";

const PAGE = `/w/${WORKSPACE_ID}/integrations`;

function status(overrides: Record<string, unknown> = {}) {
  return {
    configured: true,
    demo: false,
    connected: true,
    googleEmail: "ada@gmail.example",
    status: "active",
    lastSyncAt: new Date(Date.now() - 3 * 60_000),
    lastError: null,
    contactsSynced: 951,
    interactionsLogged: 1_000,
    syncFrequencyMin: 15,
    nextSyncInSec: 125,
    lastFullSyncAt: new Date(Date.now() - 3 * 60_000),
    maxEmails: 500,
    syncing: false,
    progress: null,
    skipped: null,
    sendAsAliases: ["ada@work.example"],
    aliases: [],
    deleteWithMessages: false,
    ...overrides,
  };
}

describe("Integrations page", () => {
  it("is in the workspace navigation; without a connection it offers Connect Gmail, which asks for Google's consent URL", async () => {
    const { server, user } = await renderApp({
      path: PAGE,
      handlers: {
        "gmail.status": () => status({ connected: false, googleEmail: null, status: null, lastSyncAt: null }),
        "gmail.authUrl": () => ({ url: "about:blank#consent", expiresAt: new Date(Date.now() + 600_000) }),
      },
    });
    const nav = await screen.findByRole("navigation", { name: "Workspace sections" });
    expect(within(nav).getByRole("link", { name: "Integrations" })).toHaveAttribute("href", PAGE);
    const card = await screen.findByRole("region", { name: "Gmail" });
    await user.click(await within(card).findByRole("button", { name: "Connect Gmail" }));
    await waitFor(() => expect(server.callsTo("gmail.authUrl")).toHaveLength(1));
    expect(server.callsTo("gmail.authUrl")[0]!.input).toEqual({ workspaceId: WORKSPACE_ID });
    expect(server.unhandled).toEqual([]);
  });

  it("shows the mailbox, its status, last sync and counts, and counts down to the next sync; Demo Google is labelled", async () => {
    await renderApp({ path: PAGE, handlers: { "gmail.status": () => status({ demo: true }) } });
    const card = await screen.findByRole("region", { name: "Gmail" });
    expect(await within(card).findByText("ada@gmail.example")).toBeInTheDocument();
    expect(card).toHaveTextContent("Active");
    expect(card).toHaveTextContent("Demo Google");
    expect(card).toHaveTextContent("3 minutes ago");
    expect(card).toHaveTextContent("951 contacts, 1,000 emails");
    expect(card).toHaveTextContent(/In 2 min 0[45] s/);
  });

  it("Sync now shows the progress bar the status reports while the sync runs", async () => {
    let syncing = false;
    const { server, user } = await renderApp({
      path: PAGE,
      handlers: {
        "gmail.status": () =>
          syncing
            ? status({ syncing: true, progress: { processed: 300, total: 1_000, etaSec: 42, jobId: null } })
            : status(),
        "gmail.syncNow": () => {
          syncing = true;
          return status({ syncing: true, progress: { processed: 0, total: 0, etaSec: null, jobId: null } });
        },
      },
    });
    const card = await screen.findByRole("region", { name: "Gmail" });
    await user.click(await within(card).findByRole("button", { name: "Sync now" }));
    const bar = await within(card).findByRole(
      "progressbar",
      { name: /Syncing: 300 of 1,000 emails, about 42 s left/ },
      {
        timeout: 5_000,
      },
    );
    expect(bar).toHaveAttribute("aria-valuenow", "30");
    expect(within(card).getByRole("button", { name: "Syncing…" })).toBeDisabled();
    expect(server.callsTo("gmail.syncNow")[0]!.input).toEqual({ workspaceId: WORKSPACE_ID });
  });

  it("a revoked grant shows the error with Reconnect, which asks Google again", async () => {
    const current = status({
      status: "error",
      lastError: "Google access was revoked or has expired: reconnect Gmail.",
      nextSyncInSec: null,
    });
    const { server, user } = await renderApp({
      path: PAGE,
      handlers: {
        "gmail.status": () => current,
        "gmail.authUrl": () => ({ url: "about:blank#consent", expiresAt: new Date(Date.now() + 600_000) }),
      },
    });
    const card = await screen.findByRole("region", { name: "Gmail" });
    const alert = await within(card).findByRole("alert");
    expect(alert).toHaveTextContent("reconnect Gmail");
    expect(card).toHaveTextContent("Needs reconnecting");
    await user.click(within(alert).getByRole("button", { name: "Reconnect" }));
    await waitFor(() => expect(server.callsTo("gmail.authUrl")).toHaveLength(1));
    // Neither syncing nor pausing is offered until it is reconnected.
    expect(within(card).getByRole("button", { name: "Sync now" })).toBeDisabled();
    expect(within(card).queryByRole("button", { name: "Pause" })).toBeNull();
  });

  it("pauses and resumes; the frequency is saved as minutes", async () => {
    let current = status();
    const { server, user } = await renderApp({
      path: PAGE,
      handlers: {
        "gmail.status": () => current,
        "gmail.pause": () => (current = status({ status: "paused", nextSyncInSec: null })),
        "gmail.resume": () => (current = status()),
        "gmail.setFrequency": (input: { minutes: number }) => (current = status({ syncFrequencyMin: input.minutes })),
      },
    });
    const card = await screen.findByRole("region", { name: "Gmail" });
    await within(card).findByRole("button", { name: "Pause" });
    await user.click(within(card).getByRole("button", { name: "Pause" }));
    expect(await within(card).findByRole("button", { name: "Resume" })).toBeInTheDocument();
    expect(card).toHaveTextContent("Paused");
    await user.click(within(card).getByRole("button", { name: "Resume" }));
    await within(card).findByRole("button", { name: "Pause" });

    const form = within(card).getByRole("form", { name: "Sync frequency" });
    await user.selectOptions(within(form).getByLabelText("Sync"), "Every hour");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(server.callsTo("gmail.setFrequency")).toHaveLength(1));
    expect(server.callsTo("gmail.setFrequency")[0]!.input).toEqual({ workspaceId: WORKSPACE_ID, minutes: 60 });
  });

  it("mailbox settings: the owner's other addresses (checked with the server's schema) and deleting with messages", async () => {
    let current = status();
    const { server, user } = await renderApp({
      path: PAGE,
      handlers: {
        "gmail.status": () => current,
        "gmail.updateSettings": (input: { aliases: string[]; deleteWithMessages: boolean }) =>
          (current = status({ aliases: input.aliases, deleteWithMessages: input.deleteWithMessages })),
      },
    });
    const card = await screen.findByRole("region", { name: "Gmail" });
    await user.click(await within(card).findByText("Mailbox settings"));
    const form = within(card).getByRole("form", { name: "Mailbox settings" });
    expect(form).toHaveTextContent("Already known from Gmail: ada@work.example");
    const addresses = within(form).getByLabelText("Your other addresses");
    await user.type(addresses, "not an address");
    await user.click(within(form).getByRole("button", { name: "Save settings" }));
    expect(await within(form).findByText(/must be a valid email address/)).toBeInTheDocument();
    expect(server.callsTo("gmail.updateSettings")).toHaveLength(0);

    await user.clear(addresses);
    await user.type(addresses, "Ada.Old@Example.com{enter}ada@home.example");
    await user.click(within(form).getByRole("checkbox", { name: /deleted in Gmail/ }));
    await user.click(within(form).getByRole("button", { name: "Save settings" }));
    await waitFor(() => expect(server.callsTo("gmail.updateSettings")).toHaveLength(1));
    expect(server.callsTo("gmail.updateSettings")[0]!.input).toEqual({
      workspaceId: WORKSPACE_ID,
      aliases: ["Ada.Old@Example.com", "ada@home.example"],
      deleteWithMessages: true,
    });
    expect(server.unhandled).toEqual([]);
  });

  it("disconnects only after confirming", async () => {
    let connected = true;
    const { server, user } = await renderApp({
      path: PAGE,
      handlers: {
        "gmail.status": () =>
          connected ? status() : status({ connected: false, googleEmail: null, status: null, lastSyncAt: null }),
        "gmail.disconnect": () => {
          connected = false;
          return { disconnected: true };
        },
      },
    });
    const card = await screen.findByRole("region", { name: "Gmail" });
    await user.click(await within(card).findByRole("button", { name: "Disconnect" }));
    const dialog = await screen.findByRole("dialog", { name: "Disconnect Gmail?" });
    expect(dialog).toHaveTextContent("contacts and interactions already imported stay");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(server.callsTo("gmail.disconnect")).toHaveLength(0);
    await user.click(within(card).getByRole("button", { name: "Disconnect" }));
    await user.click(
      within(await screen.findByRole("dialog", { name: "Disconnect Gmail?" })).getByRole("button", {
        name: "Yes, disconnect",
      }),
    );
    expect(await within(card).findByRole("button", { name: "Connect Gmail" })).toBeInTheDocument();
    expect(server.callsTo("gmail.disconnect")).toHaveLength(1);
  });

  it("/integrations redeems Google's code under this session, drops it from the address and opens the workspace's page", async () => {
    const { server } = await renderApp({
      path: `/integrations?workspace=${WORKSPACE_ID}&gmailCode=code-123&gmailState=state.sig`,
      handlers: {
        "gmail.completeOAuth": () => status({ lastSyncAt: null }),
        "gmail.status": () => status(),
      },
    });
    await screen.findByRole("region", { name: "Gmail" });
    expect(window.location.pathname).toBe(PAGE);
    expect(window.location.search).toBe("");
    expect(server.callsTo("gmail.completeOAuth")[0]!.input).toEqual({
      workspaceId: WORKSPACE_ID,
      code: "code-123",
      state: "state.sig",
    });
  });
});
