import { Link, useMatches, useNavigate } from "@tanstack/react-router";
import { useId } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { describeError } from "../../errors";
import { signOutLocally, type SessionUser } from "../../session";
import { trpc } from "../../trpc";
import { canManage, useOptionalWorkspace } from "./workspace";
import { useDisclosure } from "./disclosure";
import { HEADER_ACTIONS } from "./headerActions";
import { type Section, SECTIONS } from "./sections";
import { WorkspaceSwitcher } from "./WorkspaceSwitcher";

/**
 * Brand, workspace switcher, section links, header actions and the user's links.
 * At phone widths (CSS) only brand, switcher and a "Menu" button stay in the bar;
 * the button opens the rest as a panel below it (one DOM for both layouts).
 */
export function TopBar({ user }: { user: SessionUser }) {
  const id = useId();
  const workspace = useOptionalWorkspace();
  const navigate = useNavigate();
  const menu = useDisclosure<HTMLDivElement>();
  const menuOpen = menu.open;
  const logout = trpc.auth.logout.useMutation({
    onSuccess: () => {
      signOutLocally();
      void navigate({ to: "/" });
    },
    onError: (error) => {
      // Already signed out on the server: finish here too. Any other failure
      // keeps the session (its cookie is still live) and says so.
      if (describeError(error).code === "UNAUTHORIZED") {
        signOutLocally();
        void navigate({ to: "/" });
      }
    },
  });

  return (
    <div className="container topbar-inner" ref={menu.rootRef}>
      <Link className="brand" to="/" activeProps={{}}>
        Rapport
      </Link>
      {workspace && <WorkspaceSwitcher current={workspace} />}
      <button
        ref={menu.buttonRef}
        type="button"
        className="button-secondary topbar-menu-button"
        aria-expanded={menuOpen}
        aria-controls={`${id}-menu`}
        onClick={menu.toggle}
      >
        <svg viewBox="0 0 16 16" width="18" height="18" aria-hidden="true" focusable="false">
          <path
            d={menuOpen ? "m3.5 3.5 9 9m0-9-9 9" : "M2 4h12M2 8h12M2 12h12"}
            stroke="currentColor"
            strokeWidth="1.6"
            strokeLinecap="round"
          />
        </svg>
        {/* The icon is the button's face; its name stays for screen readers. */}
        <span className="visually-hidden">Menu</span>
      </button>
      {/* Wide screens: its children are the bar's own items (display: contents). */}
      <div id={`${id}-menu`} className="topbar-menu" data-open={menuOpen || undefined}>
        {/* DOM order = visual order on wide screens; narrow ones move the sections to a second row. */}
        {workspace && <SectionNav workspaceId={workspace.id} manage={canManage(workspace.role)} />}
        {HEADER_ACTIONS.length > 0 && (
          <div className="topbar-actions">
            {HEADER_ACTIONS.map(({ key, Component }) => (
              <Component key={key} />
            ))}
          </div>
        )}
        <div className="topbar-user">
          <Link
            className="topbar-name"
            to="/settings/account"
            title={`${user.email}: account settings`}
            aria-label={`${user.name}, account settings`}
          >
            {user.name}
          </Link>
          <Link className="topbar-link" to="/privacy" activeProps={{}}>
            My privacy
          </Link>
          <button
            type="button"
            className="button-secondary"
            onClick={() => logout.mutate()}
            disabled={logout.isPending}
          >
            {logout.isPending ? "Signing out…" : "Sign out"}
          </button>
        </div>
      </div>
      {logout.error && (
        <div className="topbar-error">
          <ErrorMessage error={logout.error} title="Sign out failed; you are still signed in" />
        </div>
      )}
    </div>
  );
}

function SectionNav({ workspaceId, manage }: { workspaceId: string; manage: boolean }) {
  const id = useId();
  const routeId = useMatches({ select: (matches) => matches.at(-1)?.routeId });
  const link = (section: Section) => (
    <li key={section.label}>
      {/* aria-current on the section's own page; "active" also on the pages within it. */}
      <Link
        to={section.to}
        params={{ workspaceId }}
        activeOptions={{ exact: true, includeSearch: false }}
        activeProps={{}}
        className={routeId === section.to || routeId?.startsWith(`${section.within}/`) ? "active" : undefined}
      >
        {section.label}
      </Link>
    </li>
  );
  return (
    <nav className="mainnav" aria-label="Workspace sections">
      <ul>{SECTIONS.filter((section) => !section.admin).map(link)}</ul>
      {manage && (
        <div className="mainnav-group">
          <span id={`${id}-admin`} className="mainnav-group-label">
            Admin
          </span>
          <ul aria-labelledby={`${id}-admin`}>{SECTIONS.filter((section) => section.admin).map(link)}</ul>
        </div>
      )}
    </nav>
  );
}
