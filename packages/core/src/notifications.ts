/**
 * Notifications: which domain events tell whom something needs their attention.
 * Pure rules; the notifications module finds the people (owners and admins, a
 * mailbox's owner) and stores one row per recipient.
 */

/** What a notification is about; each has a default a user can override. */
export const NOTIFICATION_KINDS = [
  "webhook.endpoint_disabled",
  "gmail.reconnect_needed",
  "gdpr.export_ready",
  "member.added",
  "member.role_changed",
  "task.assigned",
  "task.due",
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * On unless switched off: each of these asks the recipient to act (fix an endpoint,
 * reconnect a mailbox, download an export before it expires) or changes what they may do.
 */
export const NOTIFICATION_DEFAULTS: Readonly<Record<NotificationKind, boolean>> = {
  "webhook.endpoint_disabled": true,
  "gmail.reconnect_needed": true,
  "gdpr.export_ready": true,
  "member.added": true,
  "member.role_changed": true,
  "task.assigned": true,
  "task.due": true,
};

/** Who receives a notification: a named user, the workspace's owners and admins, or a mailbox's owner. */
export type NotificationRecipients =
  | { kind: "user"; userId: string }
  | { kind: "admins" }
  /** The member whose Gmail connection this is (looked up by connection id). */
  | { kind: "mailbox_owner"; connectionId: string };

export interface NotificationRule {
  kind: NotificationKind;
  recipients: NotificationRecipients;
}

/** The event types `notificationFor` has a rule for: no other event raises a notification. */
export const NOTIFYING_EVENT_TYPES = [
  "webhook.endpoint_disabled",
  "gmail.sync.failed",
  "gdpr.export.completed",
  "member.added",
  "member.role_changed",
  "task.created",
  "task.due",
] as const;

/** The notification an event raises, if any (whoever caused the event is not told of it: the caller filters them out). */
export function notificationFor(type: string, payload: Record<string, unknown>): NotificationRule | null {
  switch (type) {
    case "webhook.endpoint_disabled":
      return { kind: "webhook.endpoint_disabled", recipients: { kind: "admins" } };
    case "gmail.sync.failed":
      if (payload.reason !== "reconnect_needed" || typeof payload.connectionId !== "string") return null;
      return typeof payload.userId === "string"
        ? { kind: "gmail.reconnect_needed", recipients: { kind: "user", userId: payload.userId } }
        : { kind: "gmail.reconnect_needed", recipients: { kind: "mailbox_owner", connectionId: payload.connectionId } };
    case "gdpr.export.completed":
      return typeof payload.userId === "string"
        ? { kind: "gdpr.export_ready", recipients: { kind: "user", userId: payload.userId } }
        : null;
    // Members join by accepting an invitation, so the one who joined knows; the people
    // who run the workspace (and invited them) are the ones to tell.
    case "member.added":
      return { kind: "member.added", recipients: { kind: "admins" } };
    case "member.role_changed":
      return typeof payload.userId === "string"
        ? { kind: "member.role_changed", recipients: { kind: "user", userId: payload.userId } }
        : null;
    // Follow-ups: the member someone else assigned one to, and whoever it is for when it falls due.
    case "task.created":
      return typeof payload.assigneeId === "string"
        ? { kind: "task.assigned", recipients: { kind: "user", userId: payload.assigneeId } }
        : null;
    case "task.due":
      return typeof payload.userId === "string"
        ? { kind: "task.due", recipients: { kind: "user", userId: payload.userId } }
        : null;
    default:
      return null;
  }
}

/** Whether a user with these stored choices wants notifications of `kind`. */
export function notificationWanted(kind: NotificationKind, choices: Partial<Record<string, boolean>>): boolean {
  return choices[kind] ?? NOTIFICATION_DEFAULTS[kind];
}

/** Stored choices merged over the defaults: what the preferences page shows. */
export function notificationPreferences(choices: Partial<Record<string, boolean>>): Record<NotificationKind, boolean> {
  return Object.fromEntries(NOTIFICATION_KINDS.map((kind) => [kind, notificationWanted(kind, choices)])) as Record<
    NotificationKind,
    boolean
  >;
}

/** One line a person reads, from the kind and the ids it carries (names resolved by the caller). */
export function describeNotification(
  kind: string,
  payload: Record<string, unknown>,
  names: { workspaceName: string | null; userName: string | null },
): string {
  const where = names.workspaceName ? ` in ${names.workspaceName}` : "";
  switch (kind) {
    case "webhook.endpoint_disabled":
      // The reason is fixed text written by the webhooks module ("Every delivery failed for 5 days").
      return `A webhook endpoint${where} was disabled${typeof payload.reason === "string" ? ` (${payload.reason})` : ""}; enable it again to resume deliveries`;
    case "gmail.reconnect_needed":
      return `Gmail sync${where} stopped: reconnect your mailbox to resume it`;
    case "gdpr.export_ready":
      return payload.subjectKind === "contact"
        ? "The contact data export you asked for is ready to download"
        : "Your data export is ready to download";
    case "member.added":
      return `${names.userName ?? "A new member"} joined${where}${typeof payload.role === "string" ? ` as ${payload.role}` : ""}`;
    case "member.role_changed":
      return `Your role${where} is now ${typeof payload.to === "string" ? payload.to : "changed"}`;
    default:
      return "Something needs your attention";
  }
}
