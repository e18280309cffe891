import { dateFormat } from "../../components/time";
import { Link } from "@tanstack/react-router";
import { trpc } from "../../trpc";
import "../workspaces/lifecycle.css";

export interface OwnedWorkspace {
  id: string;
  name: string;
  members?: number;
  deletionScheduledAt?: Date | null;
}

/** The sole-owned workspaces that still block the account's deletion (none scheduled for deletion). */
export function useBlockingWorkspaces(): OwnedWorkspace[] {
  const owned = trpc.workspaces.soleOwned.useQuery();
  return (owned.data ?? [])
    .filter((workspace) => workspace.deletionScheduledAt === null)
    .map((workspace) => ({
      id: workspace.workspaceId,
      name: workspace.name,
      members: workspace.members,
      deletionScheduledAt: workspace.deletionScheduledAt,
    }));
}

/**
 * The workspaces only this person owns, each with the two ways out: hand it to
 * another member, or delete it (both on its Members page). Shown before the
 * account-deletion form and in the server's refusal.
 */
export function SoleOwnerBlockers({ workspaces, intro }: { workspaces: OwnedWorkspace[]; intro?: string }) {
  if (workspaces.length === 0) return null;
  return (
    <div className="stack-sm">
      <p>
        {intro ??
          "You are the only owner of these workspaces. Before your account can be deleted, transfer each one to another member or delete it:"}
      </p>
      <ul className="ws-blockers">
        {workspaces.map((workspace) => (
          <li key={workspace.id}>
            <strong>{workspace.name}</strong>
            {workspace.members === 1 && <span className="muted"> (only you: add a member to hand it over)</span>}
            {workspace.deletionScheduledAt && (
              <span className="muted">
                {" "}
                (deletion scheduled for {dateFormat.format(workspace.deletionScheduledAt)})
              </span>
            )}
            {": "}
            <Link
              to="/w/$workspaceId/members"
              params={{ workspaceId: workspace.id }}
              hash="transfer-ownership"
              aria-label={`Transfer ownership of ${workspace.name}`}
            >
              Transfer ownership
            </Link>
            {" or "}
            {/* Visible text starts the accessible name (WCAG 2.5.3), which adds the workspace. */}
            <Link
              to="/w/$workspaceId/members"
              params={{ workspaceId: workspace.id }}
              hash="delete-workspace"
              aria-label={`Delete workspace ${workspace.name}`}
            >
              Delete workspace
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
