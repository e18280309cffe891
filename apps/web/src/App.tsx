import { useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useSyncExternalStore } from "react";
import { ReadinessBanner } from "./components/ReadinessBanner";
import { AuthPage } from "./pages/AuthPage";
import { WorkspacesPage } from "./pages/WorkspacesPage";
import { navigate, useRoute } from "./router";
import { getSession, signOutLocally, subscribe, type SessionUser } from "./session";
import { trpc } from "./trpc";

// The contacts page (and its table code) loads only once a workspace is opened.
const ContactsPage = lazy(() => import("./pages/ContactsPage"));

export function App() {
  const session = useSyncExternalStore(subscribe, getSession);
  const route = useRoute();
  const queryClient = useQueryClient();

  // Never show one account's cached data to the next.
  useEffect(() => {
    if (session.status === "signedOut") queryClient.clear();
  }, [session.status, queryClient]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <ReadinessBanner />
      {session.status === "signedIn" && <Header user={session.user} />}
      <main id="main" className="container" tabIndex={-1}>
        {session.status === "restoring" ? (
          <p className="muted" role="status">
            Restoring your session…
          </p>
        ) : session.status === "signedOut" ? (
          <AuthPage notice={session.notice} />
        ) : route.page === "workspace" ? (
          <Suspense
            fallback={
              <p className="muted" role="status">
                Loading contacts…
              </p>
            }
          >
            <ContactsPage key={route.workspaceId} workspaceId={route.workspaceId} />
          </Suspense>
        ) : (
          <WorkspacesPage />
        )}
      </main>
    </>
  );
}

function Header({ user }: { user: SessionUser }) {
  const logout = trpc.auth.logout.useMutation({
    // Signed out here even if the server call fails (it may already be gone).
    onSettled: () => {
      signOutLocally();
      navigate("/");
    },
  });
  return (
    <header className="topbar">
      <div className="container topbar-inner">
        <a
          className="brand"
          href="/"
          onClick={(event) => {
            event.preventDefault();
            navigate("/");
          }}
        >
          Rapport
        </a>
        <div className="topbar-user">
          <span className="muted" title={user.email}>
            {user.name}
          </span>
          <button type="button" className="button-secondary" onClick={() => logout.mutate()} disabled={logout.isPending}>
            {logout.isPending ? "Signing out…" : "Sign out"}
          </button>
        </div>
      </div>
    </header>
  );
}
