import type { RouterInputs } from "../../trpc";

export type EventType = NonNullable<RouterInputs["activity"]["list"]["types"]>[number];

/** Every event type in words (Activity filter, audit actions); the Record makes TypeScript flag a missing one. */
export const TYPE_LABELS: Record<EventType, string> = {
  "contact.created": "Contact created",
  "contact.updated": "Contact updated",
  "contact.deleted": "Contact deleted",
  "contact.restored": "Contact restored",
  "contact.purged": "Contact purged",
  "contact.merged": "Contacts merged",
  "contact.unmerged": "Merge undone",
  "contact.reconnect_changed": "Keep-in-touch changed",
  "task.created": "Follow-up created",
  "task.updated": "Follow-up changed",
  "task.completed": "Follow-up done",
  "task.reopened": "Follow-up reopened",
  "task.deleted": "Follow-up deleted",
  "task.due": "Follow-up due",
  "interaction.created": "Interaction logged",
  "interaction.deleted": "Interaction deleted",
  "member.added": "Member added",
  "member.removed": "Member removed",
  "member.role_changed": "Role changed",
  "member.updated": "Member renamed",
  "invitation.created": "Invitation sent",
  "invitation.accepted": "Invitation accepted",
  "invitation.declined": "Invitation declined",
  "invitation.revoked": "Invitation withdrawn",
  "workspace.created": "Workspace created",
  "workspace.updated": "Workspace settings changed",
  "workspace.deletion_scheduled": "Deletion scheduled",
  "workspace.deletion_cancelled": "Deletion cancelled",
  // The workspace is gone with its feed: never listed.
  "workspace.deleted": "Workspace deleted",
  "contact.erased": "Contact erased",
  "contact.restricted": "Processing restricted",
  "contact.unrestricted": "Restriction lifted",
  "user.erased": "Account erased",
  // Account-level (no workspace): never in a workspace's feed, so not offered as a filter.
  "user.restricted": "Account restricted processing",
  "user.unrestricted": "Account lifted its restriction",
  "user.sessions_ended": "Sessions signed out",
  "webhook.endpoint_disabled": "Webhook endpoint disabled",
  "gmail.connected": "Gmail connected",
  "gmail.disconnected": "Gmail disconnected",
  "gmail.sync.completed": "Gmail sync completed",
  "gmail.sync.failed": "Gmail sync failed",
  // Personal (no workspace): the requester's and recipient's own news, never in a workspace's feed.
  "gdpr.export.completed": "Data export ready",
  "notification.created": "Notification",
};
