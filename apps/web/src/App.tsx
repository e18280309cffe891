/**
 * Rapport SPA shell: session gate, top bar, routes (code-split), error boundary.
 */
import { useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useLayoutEffect, useMemo, useRef } from "react";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { AnalyticsPage } from "./features/analytics";
import { ContactPage, ContactsListPage, DeletedContactsPage } from "./features/contacts";
import { ErrorMessage } from "./components/ErrorMessage";
import { useDocumentTitle } from "./components/hooks";
import { ReadinessBanner } from "./components/ReadinessBanner";
import { Loading } from "./components/Status";
import { readLastWorkspace, rememberWorkspace } from "./features/shell/lastWorkspace";
import { NotFoundPage, WorkspaceNotFound } from "./features/shell/NotFoundPage";
import { TopBar } from "./features/shell/TopBar";
import { WorkspaceContext, type CurrentWorkspace } from "./features/shell/workspace";
import { DeletionScheduledNotice } from "./features/workspaces/DeletionScheduledNotice";
import { AuthPage } from "./features/auth/AuthPage";
import { lastNavigationKind, navigate, pathOf, paths, useRoute, type Route, type WorkspaceRoute } from "./router";
import { restoreSession, useSession, type SessionUser } from "./session";
import { trpc } from "./trpc";

// Every page is its own chunk: the first load carries only the shell and the sign-in form.
// (features/contacts/index.ts is a set of tiny wrappers that lazy-load their pages and
// prefetch their data in parallel, so it is imported directly.)
const WorkspacesPage = lazy(() => import("./features/workspaces/WorkspacesPage"));
const ActivityPage = lazy(() => import("./features/activity/ActivityPage"));
const MembersPage = lazy(() => import("./features/workspaces/MembersPage"));
const AuditPage = lazy(() => import("./features/audit/AuditPage"));
const CachePage = lazy(() => import("./features/cache/CachePage"));
const PrivacyPage = lazy(() => import("./features/gdpr/PrivacyPage"));
const WorkspacePrivacyPage = lazy(() => import("./features/gdpr/WorkspacePrivacyPage"));
const InvitePage = lazy(() => import("./features/workspaces/InvitePage"));

/** The first time `/` shows after sign-in (or a reload), open the last workspace instead. */
let openLastOnHome = true;

export function App() {
  const session = useSession();
  const route = useRoute();
  const queryClient = useQueryClient();
  const signedIn = session.status === "signedIn";

  // Never show one account's cached data to the next; the next sign-in opens its last workspace again.
  useEffect(() => {
    if (session.status === "signedOut") {
      queryClient.clear();
      openLastOnHome = true;
    }
  }, [session.status, queryClient]);

  // `/w/:ws` and trailing slashes: show the canonical address.
  useEffect(() => {
    if (route.page === "home" || route.page === "notFound") return;
    const canonical = pathOf(route);
    if (canonical !== window.location.pathname)
      navigate(canonical + window.location.search + window.location.hash, { replace: true });
  }, [route]);

  useFocusOnNavigation(window.location.pathname, session.status);

  return (
    <>
      {/* Focuses <main> without changing the URL's fragment, which may hold an invitation token (/invite#…). */}
      {/* biome-ignore lint/a11y/useValidAnchor: a skip link is a link to #main; the handler only keeps the URL unchanged */}
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          document.getElementById("main")?.focus();
        }}
      >
        Skip to content
      </a>
      {signedIn ? (
        <SignedIn user={session.user} route={route} />
      ) : (
        <>
          <header className="topbar">
            <ReadinessBanner />
            <div className="container topbar-inner">
              <span className="brand">Rapport</span>
            </div>
          </header>
          <main id="main" className="container" tabIndex={-1}>
            {session.status === "restoring" ? (
              <Loading>Restoring your session…</Loading>
            ) : (
              <>
                {route.page === "invite" && (
                  <p className="alert alert-info auth-card">
                    You have been invited to a workspace. Sign in, or create an account, with the address the invitation
                    was sent to.
                  </p>
                )}
                <AuthPage
                  notice={session.notice}
                  onRetry={session.canRetry ? () => void restoreSession() : undefined}
                />
              </>
            )}
          </main>
        </>
      )}
    </>
  );
}

/**
 * After the person goes to another page (link, Back/Forward) or signs in or
 * out, move focus to <main> so screen readers start at the new content.
 * Page loads, session restores and redirects leave focus alone, so "Skip to
 * content" stays the first Tab stop.
 */
function useFocusOnNavigation(pathname: string, status: string) {
  const previous = useRef({ pathname, status });
  useLayoutEffect(() => {
    const before = previous.current;
    previous.current = { pathname, status };
    const navigated =
      pathname !== before.pathname && (lastNavigationKind() === "push" || lastNavigationKind() === "pop");
    const signedInOrOut = status !== before.status && before.status !== "restoring" && status !== "restoring";
    if (!navigated && !signedInOrOut) return;
    const main = document.getElementById("main");
    // Keep focus where it is if it is already inside the page (e.g. a filter that updates the URL).
    if (main && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
    if (navigated) window.scrollTo(0, 0);
  }, [pathname, status]);
}

type WorkspaceState =
  | { status: "none" }
  | { status: "loading" }
  | { status: "error"; error: unknown; retry: () => void }
  | { status: "notFound" }
  | { status: "ready"; workspace: CurrentWorkspace };

function SignedIn({ user, route }: { user: SessionUser; route: Route }) {
  const workspaces = trpc.workspaces.list.useQuery();
  const workspaceId = "workspaceId" in route ? route.workspaceId : null;
  const found = workspaceId ? workspaces.data?.find((candidate) => candidate.id === workspaceId) : undefined;

  // A stable object per workspace, so pages depending on it do not re-render for nothing.
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed on the fields, not on the refetched object
  const workspace = useMemo<CurrentWorkspace | null>(
    () => (found ? { id: found.id, name: found.name, role: found.role } : null),
    [found?.id, found?.name, found?.role],
  );

  let state: WorkspaceState;
  if (!workspaceId) state = { status: "none" };
  else if (workspace) state = { status: "ready", workspace };
  else if (workspaces.isPending) state = { status: "loading" };
  else if (workspaces.error)
    state = { status: "error", error: workspaces.error, retry: () => void workspaces.refetch() };
  else state = { status: "notFound" };

  useEffect(() => {
    if (workspace) rememberWorkspace(user.id, workspace.id);
  }, [workspace, user.id]);

  return (
    <WorkspaceContext.Provider value={workspace}>
      <header className="topbar">
        <ReadinessBanner />
        <TopBar user={user} route={route} />
      </header>
      <main id="main" className="container" tabIndex={-1}>
        <ErrorBoundary key={window.location.pathname}>
          <Suspense fallback={<Loading>Loading…</Loading>}>
            {route.page === "home" ? (
              <Home userId={user.id} workspaces={workspaces.data} settled={!workspaces.isPending} />
            ) : route.page === "notFound" ? (
              <NotFoundPage />
            ) : route.page === "myPrivacy" ? (
              <PrivacyPage />
            ) : route.page === "invite" ? (
              <InvitePage />
            ) : state.status === "loading" ? (
              <Loading>Loading workspace…</Loading>
            ) : state.status === "error" ? (
              <ErrorMessage error={state.error} title="Could not load your workspaces" onRetry={state.retry} />
            ) : state.status === "ready" ? (
              <WorkspacePage route={route} workspace={state.workspace} />
            ) : (
              <WorkspaceNotFound />
            )}
          </Suspense>
        </ErrorBoundary>
      </main>
    </WorkspaceContext.Provider>
  );
}

function Home({
  userId,
  workspaces,
  settled,
}: {
  userId: string;
  workspaces: { id: string }[] | undefined;
  settled: boolean;
}) {
  const last = readLastWorkspace(userId);
  const target = openLastOnHome && last && workspaces?.some((workspace) => workspace.id === last) ? last : null;
  const waiting = openLastOnHome && last !== null && !settled;

  useEffect(() => {
    if (waiting) return;
    if (target) {
      navigate(paths.contacts(target), { replace: true });
    } else if (last && workspaces && !workspaces.some((workspace) => workspace.id === last)) {
      rememberWorkspace(userId, null); // removed from it, or it is gone
    }
    openLastOnHome = false;
  }, [waiting, target, last, workspaces, userId]);

  if (waiting || target) return <Loading>Opening your workspace…</Loading>;
  return <WorkspacesPage />;
}

/** Opening a deep link, or any workspace page, means `/` later shows the picker. */
function WorkspacePage({ route, workspace }: { route: WorkspaceRoute; workspace: CurrentWorkspace }) {
  useEffect(() => {
    openLastOnHome = false;
  }, []);
  const title = {
    contacts: "Contacts",
    deletedContacts: "Deleted contacts",
    contact: "Contact",
    activity: "Activity",
    members: "Members",
    audit: "Audit log",
    cache: "Cache",
    analytics: "Analytics",
    privacy: "Privacy",
  }[route.page];
  useDocumentTitle(title, workspace.name);

  return (
    <>
      <DeletionScheduledNotice workspace={workspace} />
      <WorkspaceRoutePage route={route} workspace={workspace} />
    </>
  );
}

function WorkspaceRoutePage({ route, workspace }: { route: WorkspaceRoute; workspace: CurrentWorkspace }) {
  // key: a different workspace is a fresh page (no state carried over).
  switch (route.page) {
    case "contacts":
      return <ContactsListPage key={workspace.id} workspaceId={workspace.id} role={workspace.role} />;
    case "deletedContacts":
      return <DeletedContactsPage key={workspace.id} workspaceId={workspace.id} />;
    case "contact":
      return (
        <ContactPage
          key={`${workspace.id}/${route.contactId}`}
          workspaceId={workspace.id}
          contactId={route.contactId}
          role={workspace.role}
        />
      );
    case "activity":
      return <ActivityPage key={workspace.id} />;
    case "members":
      return <MembersPage key={workspace.id} />;
    case "audit":
      return <AuditPage key={workspace.id} />;
    case "cache":
      return <CachePage key={workspace.id} />;
    case "analytics":
      return <AnalyticsPage key={workspace.id} workspaceId={workspace.id} role={workspace.role} />;
    case "privacy":
      return <WorkspacePrivacyPage key={workspace.id} />;
  }
}
