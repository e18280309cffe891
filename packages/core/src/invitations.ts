import { hasRole, type WorkspaceRole } from "./roles";

/**
 * Workspace invitations: membership by consent. An owner or admin invites an
 * address with a role; whoever holds the link and is signed in with that address
 * accepts or declines it, once, before it expires.
 */

export const INVITATION_STATUSES = ["pending", "accepted", "declined", "revoked"] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];
/** What an invitation is at a given instant: its stored status, or "expired" once a pending one has run out. */
export type InvitationState = InvitationStatus | "expired";

export type InviteVerdict = { allowed: true } | { allowed: false; message: string };

/** Owners invite any role; admins invite members and admins; members invite nobody. */
export function checkInvite(actorRole: WorkspaceRole, role: WorkspaceRole): InviteVerdict {
  if (!hasRole(actorRole, "admin")) return { allowed: false, message: "Only owners and admins can invite people." };
  if (role === "owner" && actorRole !== "owner") return { allowed: false, message: "Only owners can invite owners." };
  return { allowed: true };
}

export function invitationExpiry(now: Date, ttlDays: number): Date {
  return new Date(now.getTime() + ttlDays * 86_400_000);
}

export function invitationState(invitation: { status: InvitationStatus; expiresAt: Date }, now: Date): InvitationState {
  if (invitation.status === "pending" && invitation.expiresAt.getTime() <= now.getTime()) return "expired";
  return invitation.status;
}

export type ResponseVerdict =
  | { allowed: true }
  | { allowed: false; reason: "wrong_address" | "no_longer_pending"; state: InvitationState; message: string };

const NOT_PENDING: Record<Exclude<InvitationState, "pending">, string> = {
  accepted: "This invitation has already been used.",
  declined: "This invitation was declined.",
  revoked: "This invitation was withdrawn by the workspace.",
  expired: "This invitation has expired; ask for a new one.",
};

/**
 * Whether the signed-in caller may accept or decline: the invitation must still be
 * pending and unexpired, and addressed to the caller's own address. The address
 * alone is not enough (accounts are not verified by mail), so callers also hold
 * the link's token; the address check stops a forwarded link being used by someone else.
 */
export function checkResponse(
  invitation: { status: InvitationStatus; expiresAt: Date; email: string },
  callerEmail: string,
  now: Date,
): ResponseVerdict {
  const state = invitationState(invitation, now);
  if (invitation.email !== callerEmail.trim().toLowerCase()) {
    return {
      allowed: false,
      reason: "wrong_address",
      state,
      message: "This invitation was sent to another address. Sign in with the invited address to answer it.",
    };
  }
  if (state !== "pending") return { allowed: false, reason: "no_longer_pending", state, message: NOT_PENDING[state] };
  return { allowed: true };
}
