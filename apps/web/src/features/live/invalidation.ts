/**
 * Which cached queries an event can have changed, by the routers that answer them
 * (tRPC's query keys start with the procedure's path, so `[["contacts"]]` covers every
 * contacts.* query). Only queries on screen refetch; the rest are marked stale.
 */
const AFFECTED_ROUTERS: Record<string, readonly string[]> = {
  contact: ["contacts", "search", "analytics", "recommendations", "reconnect", "tasks", "interactions", "gdpr"],
  interaction: ["interactions", "contacts", "analytics", "recommendations", "reconnect"],
  task: ["tasks", "reconnect", "contacts"],
  member: ["workspaces", "invitations", "audit"],
  invitation: ["invitations", "workspaces", "audit"],
  workspace: ["workspaces", "audit"],
  // `auth`: the account page's sessions and security record (sessions ended elsewhere).
  user: ["workspaces", "contacts", "interactions", "auth"],
  webhook: ["webhooks", "audit"],
  gmail: ["gmail", "contacts", "interactions", "analytics", "search", "audit"],
  gdpr: ["gdpr"],
  notification: ["notifications"],
};

/** The routers whose queries to refetch after an event of `type` (in `workspaceId`, or personal when null). */
export function routersAffectedBy(type: string, workspaceId: string | null): string[] {
  const routers = new Set(AFFECTED_ROUTERS[type.slice(0, type.indexOf("."))] ?? []);
  // Every workspace event is a line of the activity feed.
  if (workspaceId) routers.add("activity");
  return [...routers];
}
