/**
 * The SPA's shell, as route components: the session gate and top bar around every
 * page (RootLayout), the workspace gate around /w/:ws/… pages (WorkspaceLayout) and
 * the home page that reopens the last workspace (HomePage).
 */
import { useQueryClient } from "@tanstack/react-query";
import { Outlet, useLocation, useMatches, useNavigate, useParams, useRouter } from "@tanstack/react-router";
import { lazy, Suspense, useEffect, useLayoutEffect, useMemo, useRef } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useDocumentTitle } from "../../components/hooks";
import { ReadinessBanner } from "../../components/ReadinessBanner";
import { Loading } from "../../components/Status";
import { restoreSession, useSession, type SessionUser } from "../../session";
import { ToastRegion } from "../../components/toast";
import { trpc } from "../../trpc";
import { LiveProvider } from "../live/LiveProvider";
import { CommandPalette } from "../palette/CommandPalette";
import { DeletionScheduledNotice } from "../workspaces/DeletionScheduledNotice";
import { readLastWorkspace, rememberWorkspace } from "./lastWorkspace";
import { WorkspaceNotFound } from "./NotFoundPage";
import { TopBar } from "./TopBar";
import { canManage, useOptionalWorkspace, WorkspaceContext, type CurrentWorkspace } from "./workspace";
import { Skeleton } from "../../components/Skeleton";

const WorkspacesPage = lazy(() => import("../workspaces/WorkspacesPage"));
// Signed-in visits never need the sign-in form, its schemas or zod: they load with it.
const AuthPage = lazy(() => import("../auth/AuthPage").then((module) => ({ default: module.AuthPage })));

/** The first time `/` shows after sign-in (or a reload), open the last workspace instead. */
let openLastOnHome = true;

export function RootLayout() {
  const session = useSession();
  const queryClient = useQueryClient();
  const pathname = useLocation({ select: (location) => location.pathname });
  const signedIn = session.status === "signedIn";

  // Never show one account's cached data to the next; the next sign-in opens its last workspace again.
  useEffect(() => {
    if (session.status === "signedOut") {
      queryClient.clear();
      openLastOnHome = true;
    }
  }, [session.status, queryClient]);

  useFocusOnNavigation(pathname, session.status);

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
        <SignedIn user={session.user} />
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
                {pathname === "/invite" && (
                  <p className="alert alert-info auth-card">
                    You have been invited to a workspace. Sign in, or create an account, with the address the invitation
                    was sent to.
                  </p>
                )}
                <Suspense fallback={<Skeleton shape="text" rows={4} label="Loading…" />}>
                  <AuthPage
                    notice={session.notice}
                    onRetry={session.canRetry ? () => void restoreSession() : undefined}
                  />
                </Suspense>
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
 * Page loads, session restores and redirects (history replace) leave focus
 * alone, so "Skip to content" stays the first Tab stop.
 */
function useFocusOnNavigation(pathname: string, status: string) {
  const router = useRouter();
  const lastAction = useRef<string | null>(null);
  useEffect(() => router.history.subscribe(({ action }) => (lastAction.current = action.type)), [router]);

  const previous = useRef({ pathname, status });
  useLayoutEffect(() => {
    const before = previous.current;
    previous.current = { pathname, status };
    const navigated = pathname !== before.pathname && lastAction.current !== null && lastAction.current !== "REPLACE";
    const signedInOrOut = status !== before.status && before.status !== "restoring" && status !== "restoring";
    if (!navigated && !signedInOrOut) return;
    const main = document.getElementById("main");
    // Keep focus where it is if it is already inside the page (e.g. a filter that updates the URL).
    if (main && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
    if (navigated) window.scrollTo(0, 0);
  }, [pathname, status]);
}

function SignedIn({ user }: { user: SessionUser }) {
  const workspaces = trpc.workspaces.list.useQuery();
  const workspaceId = useParams({ strict: false }).workspaceId?.toLowerCase();
  const found = workspaceId ? workspaces.data?.find((candidate) => candidate.id === workspaceId) : undefined;

  // A stable object per workspace, so pages depending on it do not re-render for nothing.
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed on the fields, not on the refetched object
  const workspace = useMemo<CurrentWorkspace | null>(
    () => (found ? { id: found.id, name: found.name, role: found.role, phoneCountry: found.phoneCountry } : null),
    [found?.id, found?.name, found?.role, found?.phoneCountry],
  );

  useEffect(() => {
    if (workspace) rememberWorkspace(user.id, workspace.id);
  }, [workspace, user.id]);

  return (
    <WorkspaceContext.Provider value={workspace}>
      {/* The open workspace's views update live (one stream, shared with the user's other tabs on it). */}
      <LiveProvider workspaceId={workspace?.id ?? null} userId={user.id}>
        <header className="topbar">
          <ReadinessBanner showDegraded={workspace !== null && canManage(workspace.role)} />
          <TopBar user={user} />
        </header>
        <main id="main" className="container" tabIndex={-1}>
          <Suspense fallback={<Skeleton shape="page" rows={6} label="Loading…" />}>
            <Outlet />
          </Suspense>
          <ToastRegion />
        </main>
        <CommandPalette />
      </LiveProvider>
    </WorkspaceContext.Provider>
  );
}

/**
 * `/`: the workspace picker, or (first time after sign-in) the workspace to work in:
 * the last one opened, or the only one there is. It opens on Today.
 */
export function HomePage() {
  const user = useSession();
  const userId = user.status === "signedIn" ? user.user.id : "";
  const workspaces = trpc.workspaces.list.useQuery();
  const navigate = useNavigate();
  const last = readLastWorkspace(userId);
  const only = workspaces.data?.length === 1 ? workspaces.data[0]!.id : null;
  const target = openLastOnHome
    ? last && workspaces.data?.some((workspace) => workspace.id === last)
      ? last
      : only
    : null;
  const waiting = openLastOnHome && workspaces.isPending;

  useEffect(() => {
    if (waiting) return;
    if (target) {
      void navigate({ to: "/w/$workspaceId/today", params: { workspaceId: target }, replace: true });
    } else if (last && workspaces.data && !workspaces.data.some((workspace) => workspace.id === last)) {
      rememberWorkspace(userId, null); // removed from it, or it is gone
    }
    openLastOnHome = false;
  }, [waiting, target, last, workspaces.data, userId, navigate]);

  if (waiting || target) return <Loading>Opening your workspace…</Loading>;
  return <WorkspacesPage />;
}

/**
 * `/w/:ws/…`: the page once the workspace is known to exist and the user is a member;
 * otherwise loading, an error or "Workspace not found". Opening a deep link, or any
 * workspace page, means `/` later shows the picker.
 */
export function WorkspaceLayout() {
  const workspace = useOptionalWorkspace();
  const workspaces = trpc.workspaces.list.useQuery();
  if (workspace) return <WorkspacePage workspace={workspace} />;
  if (workspaces.isPending) return <Skeleton shape="page" rows={6} label="Loading workspace…" />;
  if (workspaces.error)
    return (
      <ErrorMessage
        error={workspaces.error}
        title="Could not load your workspaces"
        onRetry={() => void workspaces.refetch()}
      />
    );
  return <WorkspaceNotFound />;
}

function WorkspacePage({ workspace }: { workspace: CurrentWorkspace }) {
  useEffect(() => {
    openLastOnHome = false;
  }, []);
  const title = useMatches({ select: (matches) => matches.at(-1)?.staticData.title });
  useDocumentTitle(title, workspace.name);
  return (
    <>
      <DeletionScheduledNotice workspace={workspace} />
      <Outlet />
    </>
  );
}
