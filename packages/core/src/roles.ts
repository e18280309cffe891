export const WORKSPACE_ROLES = ["member", "admin", "owner"] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];

const RANK: Record<WorkspaceRole, number> = { member: 0, admin: 1, owner: 2 };

export function hasRole(actual: WorkspaceRole, minimum: WorkspaceRole): boolean {
  return RANK[actual] >= RANK[minimum];
}

export interface RoleChange {
  actorRole: WorkspaceRole;
  targetCurrentRole: WorkspaceRole;
  targetNewRole: WorkspaceRole | null; // null = removal
  isSelf: boolean;
  ownerCount: number;
}

export type RoleChangeVerdict =
  | { allowed: true }
  | { allowed: false; reason: "forbidden" | "last_owner"; message: string };

/**
 * Who may change whom: owners manage everyone; admins manage members and admins
 * but can neither touch owners nor create them; anyone may leave (remove self).
 * The workspace must always keep at least one owner.
 */
export function checkRoleChange(change: RoleChange): RoleChangeVerdict {
  const { actorRole, targetCurrentRole, targetNewRole, isSelf, ownerCount } = change;
  const selfLeave = isSelf && targetNewRole === null;
  if (!selfLeave && actorRole === "member") {
    return { allowed: false, reason: "forbidden", message: "Only owners and admins can manage members." };
  }
  if (!selfLeave && actorRole === "admin" && (targetCurrentRole === "owner" || targetNewRole === "owner")) {
    return { allowed: false, reason: "forbidden", message: "Only owners can change or remove owners." };
  }
  const losesOwner = targetCurrentRole === "owner" && targetNewRole !== "owner";
  if (losesOwner && ownerCount <= 1) {
    return {
      allowed: false,
      reason: "last_owner",
      message: "The last owner cannot leave or be demoted; make someone else an owner first.",
    };
  }
  return { allowed: true };
}
