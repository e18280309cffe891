import type { WorkspaceRole } from "./roles";

/**
 * The end of a workspace's life: handing it over and deleting it. Pure rules;
 * the API applies them inside its transactions.
 */

export type LifecycleVerdict =
  | { allowed: true }
  | { allowed: false; reason: "forbidden" | "not_member" | "invalid"; message: string };

export interface OwnershipTransfer {
  actorRole: WorkspaceRole;
  /** The receiving member's current role, or null when they are not a member. */
  targetRole: WorkspaceRole | null;
  isSelf: boolean;
}

/**
 * Only an owner hands a workspace over, and only to someone already in it (so
 * nobody becomes responsible for data without having joined). The receiver
 * becomes owner, the giver stays as admin.
 */
export function checkOwnershipTransfer({ actorRole, targetRole, isSelf }: OwnershipTransfer): LifecycleVerdict {
  if (actorRole !== "owner")
    return { allowed: false, reason: "forbidden", message: "Only an owner can transfer ownership." };
  if (isSelf) return { allowed: false, reason: "invalid", message: "Choose another member to receive ownership." };
  if (targetRole === null)
    return { allowed: false, reason: "not_member", message: "Ownership can only go to a member of the workspace." };
  if (targetRole === "owner") return { allowed: false, reason: "invalid", message: "This member is already an owner." };
  return { allowed: true };
}

/** The role the previous owner keeps after a transfer. */
export const PREVIOUS_OWNER_ROLE: WorkspaceRole = "admin";

/**
 * Deleting a workspace is confirmed by typing its name. Compared after trimming
 * the ends, otherwise exactly (case matters: "Sales" is not "sales").
 */
export function deletionConfirmed(typed: string, workspaceName: string): boolean {
  return typed.trim() === workspaceName.trim() && workspaceName.trim().length > 0;
}

export function checkDeletionRequest({
  actorRole,
  typed,
  workspaceName,
}: {
  actorRole: WorkspaceRole;
  typed: string;
  workspaceName: string;
}): LifecycleVerdict {
  if (actorRole !== "owner")
    return { allowed: false, reason: "forbidden", message: "Only an owner can delete the workspace." };
  if (!deletionConfirmed(typed, workspaceName)) {
    return { allowed: false, reason: "invalid", message: "Type the workspace's name exactly to confirm its deletion." };
  }
  return { allowed: true };
}

const DAY_MS = 86_400_000;

/** When a deletion requested at `requestedAt` runs: after the same grace period as an account deletion. */
export function deletionEffectiveAt(requestedAt: Date, graceDays: number): Date {
  return new Date(requestedAt.getTime() + graceDays * DAY_MS);
}

/** The ways out for a sole owner who wants to delete their account. */
export const SOLE_OWNER_WAYS_OUT = ["transfer_ownership", "delete_workspace"] as const;
export type SoleOwnerWayOut = (typeof SOLE_OWNER_WAYS_OUT)[number];

export interface OwnedWorkspace {
  workspaceId: string;
  /** Owners other than the user. */
  otherOwners: number;
  /** When a deletion of the workspace is scheduled (it then no longer blocks scheduling the account's deletion). */
  deletionScheduledAt: Date | null;
}

/**
 * The workspaces that keep a user from scheduling their account's deletion:
 * those they alone own and that are not already scheduled for deletion. A
 * scheduled workspace runs out first (it was requested earlier, with the same
 * grace period); the account's erasure still checks again when it runs.
 */
export function blockingWorkspaces<T extends OwnedWorkspace>(owned: T[]): T[] {
  return owned.filter((w) => w.otherOwners === 0 && w.deletionScheduledAt === null);
}
