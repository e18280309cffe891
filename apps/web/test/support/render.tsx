/**
 * Renders the real SPA (App with the providers main.tsx uses) at a URL, with
 * the network answered by a fake tRPC server. Every call re-imports the SPA's
 * modules (vi.resetModules), so session and cache state never leak between tests.
 */
import type { WorkspaceRole } from "../../src/trpc";
import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { StrictMode } from "react";
import { expect, vi } from "vitest";
import { createFakeServer, domainError, type FakeServer, type ProcedureHandler } from "./fake-server";
import { authResult, USER, workspace, WORKSPACE_ID } from "./fixtures";

export interface RenderAppOptions {
  path?: string;
  signedIn?: boolean;
  role?: WorkspaceRole;
  handlers?: Record<string, ProcedureHandler>;
  /** What /readyz answers (default: ok). */
  readiness?: { status: string; degraded: string[] };
}

export interface RenderedApp {
  server: FakeServer;
  user: ReturnType<typeof userEvent.setup>;
}

export async function renderApp({
  path = "/",
  signedIn = true,
  role = "owner",
  handlers = {},
  readiness,
}: RenderAppOptions = {}): Promise<RenderedApp> {
  vi.resetModules();
  window.history.replaceState(null, "", path);
  const server = createFakeServer({
    "auth.refresh": () => {
      if (!signedIn) throw domainError("UNAUTHORIZED", "No session to refresh; sign in");
      const { user: _, ...tokens } = authResult();
      return tokens;
    },
    "auth.me": () => ({ user: USER, workspaces: [{ id: WORKSPACE_ID, name: workspace(role).name, role }] }),
    "auth.logout": () => ({ ok: true }),
    "workspaces.list": () => [workspace(role)],
    // The Members page's settings (owners and admins): the countries a phone country may be.
    "workspaces.phoneCountries": () => [
      { code: "DE", callingCode: "49" },
      { code: "FR", callingCode: "33" },
    ],
    "workspaces.members": () => [
      { userId: USER.id, email: USER.email, name: USER.name, role, joinedAt: new Date("2026-01-01T00:00:00Z") },
    ],
    "contacts.list": () => ({ items: [], nextCursor: null }),
    "contacts.count": () => ({ count: 0, exact: true }),
    // The contacts list's "Views" menu: by default no saved views.
    "views.list": () => [],
    // Every contact page asks whether the person's data is restricted or erased (GDPR); by default neither.
    "gdpr.contactPrivacy": () => ({ restricted: false, restrictions: [], erasedAt: null }),
    // …and shows the relationship figures: by default a contact never contacted.
    "analytics.contactRelationship": (input: { contactId: string }) => ({
      contactId: input.contactId,
      asOf: new Date("2026-03-01T00:00:00Z"),
      health: { score: 12.5, recency: 0, frequency: 25, bucket: "inactive" },
      clv: { value: 0, bucket: "low" },
      lastContactAt: null,
      interactions: 0,
      interactions30d: 0,
      interactions90d: 0,
    }),
    // …and the emails imported from Gmail with them: by default none (the figures stay hidden).
    "gmail.contactInsights": () => ({
      totalEmails: 0,
      lastEmailAt: null,
      lastSubject: null,
      emailsPerMonth: [],
      computedAt: null,
    }),
    // …and its open follow-ups and keep-in-touch frequency: by default none chosen.
    "tasks.list": () => ({ items: [], nextCursor: null }),
    "reconnect.get": () => ({ keepInTouchDays: null, snoozedUntil: null, doneAt: null }),
    // An empty workspace shows the first-run checklist: the member's Gmail connection and pending invitations.
    "gmail.status": () => ({ configured: true, demo: false, connected: false, syncing: false }),
    "invitations.listPending": () => [],
    // Every workspace page asks whether the workspace is scheduled for deletion; the Privacy page which workspaces only the user owns.
    "workspaces.deletionStatus": () => ({ scheduled: null }),
    // The header's bell: no notifications unless a test says otherwise.
    "notifications.unreadCount": () => ({ unread: 0 }),
    "workspaces.soleOwned": () => [],
    ...handlers,
  });
  if (readiness) server.setReadiness(readiness);
  vi.stubGlobal("fetch", server.fetch);

  // The production modules, freshly evaluated for this test (as on a page load).
  const [{ App }, session, { createQueryClient, createTrpcClient, trpc }] = await Promise.all([
    import("../../src/App"),
    import("../../src/session"),
    import("../../src/trpc"),
  ]);
  const queryClient = createQueryClient();
  const trpcClient = createTrpcClient();
  session.startSession();

  const user = userEvent.setup();
  render(
    <StrictMode>
      <trpc.Provider client={trpcClient} queryClient={queryClient}>
        <QueryClientProvider client={queryClient}>
          <App />
        </QueryClientProvider>
      </trpc.Provider>
    </StrictMode>,
  );
  if (signedIn) await waitFor(() => expect(screen.queryByText(/Restoring your session/)).toBeNull());
  return { server, user };
}
