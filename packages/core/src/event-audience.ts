import { hasRole, type WorkspaceRole } from "./roles";

/**
 * Who in a workspace sees an event of a type in the live feed: members from this role
 * up. Invitations and processing restrictions are administration (who was invited with
 * which role; that a person asked for their data to be restricted): admins and owners
 * only. Everything else is the team's shared activity.
 */
const ADMIN_ONLY_EVENT_TYPES: ReadonlySet<string> = new Set([
  "invitation.created",
  "invitation.accepted",
  "invitation.declined",
  "invitation.revoked",
  "contact.restricted",
  "contact.unrestricted",
]);

/** The lowest workspace role that sees events of `type`. */
export function eventMinRole(type: string): WorkspaceRole {
  return ADMIN_ONLY_EVENT_TYPES.has(type) ? "admin" : "member";
}

/** Whether a member with `role` sees events of `type`. */
export function eventVisibleTo(type: string, role: WorkspaceRole): boolean {
  return hasRole(role, eventMinRole(type));
}
