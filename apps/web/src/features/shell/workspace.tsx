import { createContext, useContext } from "react";
import type { WorkspaceRole } from "../../trpc";

export type { WorkspaceRole };

/** The workspace the current route is in, as the signed-in user sees it. */
export interface CurrentWorkspace {
  id: string;
  name: string;
  /** The signed-in user's role here. */
  role: WorkspaceRole;
  /** How its phone numbers without a country code are read (ISO 3166-1 alpha-2), if set. */
  phoneCountry: string | null;
}

export const WorkspaceContext = createContext<CurrentWorkspace | null>(null);

/**
 * `{ id, name, role }` of the workspace in the URL (from workspaces.list).
 * Pages under /w/:ws/… can rely on it: the shell renders them only once the
 * workspace is known to exist and the user is a member.
 */
export function useWorkspace(): CurrentWorkspace {
  const workspace = useContext(WorkspaceContext);
  if (!workspace) throw new Error("useWorkspace() is only available on /w/:workspaceId/… pages");
  return workspace;
}

/** Like useWorkspace(), but null outside a workspace route (for the top bar). */
export function useOptionalWorkspace(): CurrentWorkspace | null {
  return useContext(WorkspaceContext);
}

const RANK: Record<WorkspaceRole, number> = { member: 0, admin: 1, owner: 2 };

export function hasRole(actual: WorkspaceRole, minimum: WorkspaceRole): boolean {
  return RANK[actual] >= RANK[minimum];
}

/** Owners and admins manage members and read the audit log. */
export function canManage(role: WorkspaceRole): boolean {
  return hasRole(role, "admin");
}

export const ROLE_LABELS: Record<WorkspaceRole, string> = { owner: "Owner", admin: "Admin", member: "Member" };
