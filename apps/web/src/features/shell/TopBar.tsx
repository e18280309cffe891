import { ErrorMessage } from "../../components/ErrorMessage";
import { describeError } from "../../errors";
import { Link, navigate, paths, type Route } from "../../router";
import { signOutLocally, type SessionUser } from "../../session";
import { trpc } from "../../trpc";
import { canManage, useOptionalWorkspace } from "./workspace";
import { WorkspaceSwitcher } from "./WorkspaceSwitcher";

/** Brand, workspace switcher, section links and "Sign out". */
export function TopBar({ user, route }: { user: SessionUser; route: Route }) {
  const workspace = useOptionalWorkspace();
  const logout = trpc.auth.logout.useMutation({
    onSuccess: () => {
      signOutLocally();
      navigate(paths.home());
    },
    onError: (error) => {
      // Already signed out on the server: finish here too. Any other failure
      // keeps the session (its cookie is still live) and says so.
      if (describeError(error).code === "UNAUTHORIZED") {
        signOutLocally();
        navigate(paths.home());
      }
    },
  });

  return (
    <div className="container topbar-inner">
      <Link className="brand" href={paths.home()}>
        Rapport
      </Link>
      {workspace && <WorkspaceSwitcher current={workspace} />}
      {/* DOM order = visual order on wide screens; narrow ones move the sections to a second row. */}
      {workspace && <SectionNav route={route} workspaceId={workspace.id} manage={canManage(workspace.role)} />}
      <div className="topbar-user">
        <span className="topbar-name" title={user.email}>
          {user.name}
        </span>
        <Link className="topbar-link" href={paths.myPrivacy()} current={route.page === "myPrivacy"} title="My privacy">
          {/* Narrow screens show the shield only; the text stays for screen readers. */}
          <svg
            className="topbar-link-icon"
            viewBox="0 0 16 16"
            width="20"
            height="20"
            aria-hidden="true"
            focusable="false"
          >
            <path
              d="M8 1.25 2.5 3.4v4.1c0 3.3 2.3 6 5.5 7.25 3.2-1.25 5.5-3.95 5.5-7.25V3.4L8 1.25Z"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.5"
              strokeLinejoin="round"
            />
            <path
              d="m5.6 8 1.7 1.7 3.2-3.4"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.5"
              strokeLinecap="round"
              strokeLinejoin="round"
            />
          </svg>
          <span className="topbar-link-text">My privacy</span>
        </Link>
        <button type="button" className="button-secondary" onClick={() => logout.mutate()} disabled={logout.isPending}>
          {logout.isPending ? "Signing out…" : "Sign out"}
        </button>
      </div>
      {logout.error && (
        <div className="topbar-error">
          <ErrorMessage error={logout.error} title="Sign out failed; you are still signed in" />
        </div>
      )}
    </div>
  );
}

function SectionNav({ route, workspaceId, manage }: { route: Route; workspaceId: string; manage: boolean }) {
  const inContacts = route.page === "contacts" || route.page === "deletedContacts" || route.page === "contact";
  const links = [
    { label: "Contacts", href: paths.contacts(workspaceId), current: route.page === "contacts", active: inContacts },
    {
      label: "Activity",
      href: paths.activity(workspaceId),
      current: route.page === "activity",
      active: route.page === "activity",
    },
    {
      label: "Analytics",
      href: paths.analytics(workspaceId),
      current: route.page === "analytics",
      active: route.page === "analytics",
    },
    // Everyone sees Members: plain members get the read-only list and "Leave workspace".
    {
      label: "Members",
      href: paths.members(workspaceId),
      current: route.page === "members",
      active: route.page === "members",
    },
    ...(manage
      ? [
          {
            label: "Audit",
            href: paths.audit(workspaceId),
            current: route.page === "audit",
            active: route.page === "audit",
          },
        ]
      : []),
    ...(manage
      ? [
          {
            label: "Privacy",
            href: paths.privacy(workspaceId),
            current: route.page === "privacy",
            active: route.page === "privacy",
          },
        ]
      : []),
    ...(manage
      ? [
          {
            label: "Cache",
            href: paths.cache(workspaceId),
            current: route.page === "cache",
            active: route.page === "cache",
          },
        ]
      : []),
  ];
  return (
    <nav className="mainnav" aria-label="Workspace sections">
      <ul>
        {links.map((link) => (
          <li key={link.label}>
            <Link href={link.href} current={link.current} className={link.active ? "active" : undefined}>
              {link.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
