import { Link, useMatches, useNavigate } from "@tanstack/react-router";
import { ErrorMessage } from "../../components/ErrorMessage";
import { describeError } from "../../errors";
import { signOutLocally, type SessionUser } from "../../session";
import { trpc } from "../../trpc";
import { canManage, useOptionalWorkspace } from "./workspace";
import { WorkspaceSwitcher } from "./WorkspaceSwitcher";

/** Brand, workspace switcher, section links and "Sign out". */
export function TopBar({ user }: { user: SessionUser }) {
  const workspace = useOptionalWorkspace();
  const navigate = useNavigate();
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
    <div className="container topbar-inner">
      <Link className="brand" to="/" activeProps={{}}>
        Rapport
      </Link>
      {workspace && <WorkspaceSwitcher current={workspace} />}
      {/* DOM order = visual order on wide screens; narrow ones move the sections to a second row. */}
      {workspace && <SectionNav workspaceId={workspace.id} manage={canManage(workspace.role)} />}
      <div className="topbar-user">
        <span className="topbar-name" title={user.email}>
          {user.name}
        </span>
        <Link className="topbar-link" to="/privacy" activeProps={{}} title="My privacy">
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

type Section = {
  label: string;
  to:
    | "/w/$workspaceId/contacts"
    | `/w/$workspaceId/${"activity" | "analytics" | "members" | "integrations" | "audit" | "privacy" | "cache" | "webhooks"}`;
  /** Also highlighted on these pages (the contact pages belong to Contacts). */
  within?: string;
  manage?: boolean;
};

// Everyone sees Members: plain members get the read-only list and "Leave workspace".
const SECTIONS: Section[] = [
  { label: "Contacts", to: "/w/$workspaceId/contacts", within: "/w/$workspaceId/contacts" },
  { label: "Activity", to: "/w/$workspaceId/activity" },
  { label: "Analytics", to: "/w/$workspaceId/analytics" },
  { label: "Members", to: "/w/$workspaceId/members" },
  { label: "Integrations", to: "/w/$workspaceId/integrations" },
  { label: "Audit", to: "/w/$workspaceId/audit", manage: true },
  { label: "Privacy", to: "/w/$workspaceId/privacy", manage: true },
  { label: "Cache", to: "/w/$workspaceId/cache", manage: true },
  { label: "Webhooks", to: "/w/$workspaceId/webhooks", manage: true },
];

function SectionNav({ workspaceId, manage }: { workspaceId: string; manage: boolean }) {
  const routeId = useMatches({ select: (matches) => matches.at(-1)?.routeId });
  return (
    <nav className="mainnav" aria-label="Workspace sections">
      <ul>
        {SECTIONS.filter((section) => manage || !section.manage).map((section) => (
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
        ))}
      </ul>
    </nav>
  );
}
