import type { ReactNode } from "react";
import { hasRole, useWorkspace, type CurrentWorkspace, type WorkspaceRole } from "./workspace";

const WHO: Record<WorkspaceRole, string> = { member: "members", admin: "owners and admins", owner: "owners" };

/**
 * A workspace page for `minimum` and above. Anyone below sees the page's title
 * and who it is for instead (the server refuses their calls anyway), so the page
 * below never queries on their behalf.
 */
export function RequireRole({
  minimum,
  title,
  page,
  children,
}: {
  minimum: WorkspaceRole;
  /** The page's heading, shown either way. */
  title: string;
  /** How the notice names the page: "The {page} is for …". */
  page: string;
  children: (workspace: CurrentWorkspace) => ReactNode;
}) {
  const workspace = useWorkspace();
  if (!hasRole(workspace.role, minimum)) {
    return (
      <div className="stack">
        <h1>{title}</h1>
        <p className="alert alert-info">
          The {page} is for {WHO[minimum]}. Your role here is {workspace.role}.
        </p>
      </div>
    );
  }
  return children(workspace);
}
