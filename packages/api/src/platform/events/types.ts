import type { Tx } from "@rapport/db";
/**
 * Domain events: what happened, to which workspace, by whom. Payloads carry ids
 * and field names, never personal values, so the outbox, the activity feed and
 * webhook deliveries hold nothing an erasure would have to chase.
 */
interface DomainEventPayloads {
  "workspace.created": { workspaceId: string };
  // Renamed, or its phone country set: the fields' names, not their values.
  "workspace.updated": { workspaceId: string; fields: ("name" | "phoneCountry")[] };
  // The workspace's own feed: members see that a deletion is coming, or no longer is.
  "workspace.deletion_scheduled": { operationId: string };
  "workspace.deletion_cancelled": { operationId: string };
  // No workspace (workspaceId null: its rows are gone). Ids only: the members and creators
  // whose export files were discarded with it.
  "workspace.deleted": { workspaceId: string; operationId: string; userIds: string[] };
  "contact.created": { contactId: string; source: string };
  "contact.updated": { contactId: string; fields: string[] };
  "contact.deleted": { contactId: string };
  "contact.restored": { contactId: string };
  "contact.purged": { contactId: string };
  // Two contacts became one: `contactId` stayed, `mergedContactId` is gone (its links moved to it).
  "contact.merged": { contactId: string; mergedContactId: string; mergeId: string };
  // A merge undone: `restoredContactId` is back with what it had.
  "contact.unmerged": { contactId: string; restoredContactId: string; mergeId: string };
  // Keeping in touch: a chosen frequency, a snooze or "done" (which logs nothing).
  "contact.reconnect_changed": { contactId: string; change: "keep_in_touch" | "snoozed" | "done" };
  // Follow-ups: ids and field names only (a title may name a person).
  "task.created": { taskId: string; contactId: string | null; assigneeId: string | null };
  "task.updated": { taskId: string; contactId: string | null; fields: string[] };
  "task.completed": { taskId: string; contactId: string | null };
  "task.reopened": { taskId: string; contactId: string | null };
  "task.deleted": { taskId: string; contactId: string | null };
  // The due time came: the reminder for the assignee (or the creator of an unassigned one).
  "task.due": { taskId: string; contactId: string | null; userId: string | null };
  "interaction.created": { interactionId: string; contactId: string; type: string; participantContactIds: string[] };
  "interaction.deleted": { interactionId: string; contactId: string };
  "member.added": { userId: string; role: string };
  "member.removed": { userId: string; previousRole: string };
  "member.role_changed": { userId: string; from: string; to: string };
  // A member renamed their account (told to each workspace they belong to): field names only.
  "member.updated": { userId: string; fields: "name"[] };
  // Invitations: ids and the role only, never the invited address.
  "invitation.created": { invitationId: string; role: string };
  "invitation.accepted": { invitationId: string; userId: string };
  "invitation.declined": { invitationId: string };
  "invitation.revoked": { invitationId: string };
  // GDPR: ids only (Art. 19 notice to recipients).
  "contact.erased": { contactId: string; operationId: string };
  "contact.restricted": { contactId: string };
  "contact.unrestricted": { contactId: string };
  "user.erased": { userId: string; operationId: string };
  // No workspace (workspaceId null): they keep every instance's restriction index current.
  "user.restricted": { userId: string };
  "user.unrestricted": { userId: string };
  // No workspace: sessions of the account that ended (signed out, signed out from another of its
  // sessions, by a password change, or for a stolen refresh token): their live streams close,
  // and every instance stops trusting them at once.
  "user.sessions_ended": {
    userId: string;
    sessionIds: string[];
    reason: "logged_out" | "revoked_by_user" | "password_changed" | "refresh_token_reuse";
  };
  // Outgoing webhooks: an endpoint stopped receiving (failing for days, or 410 Gone); the reason is fixed text.
  "webhook.endpoint_disabled": { endpointId: string; reason: string };
  // Gmail sync: ids and counts only (never the mailbox address).
  "gmail.connected": { connectionId: string; userId: string };
  "gmail.disconnected": { connectionId: string; userId: string };
  "gmail.sync.completed": GmailSyncCounts & { connectionId: string; mode: GmailSyncMode };
  "gmail.sync.failed": GmailSyncCounts & { connectionId: string; mode: GmailSyncMode; reason: GmailFailureReason };
  // No workspace (workspaceId null): news for the requester alone, whoever the subject.
  "gdpr.export.completed": { exportId: string; userId: string; subjectKind: "user" | "contact" };
  // No workspace: tells the recipient's open tabs (their live streams) that the bell has news.
  "notification.created": { notificationId: string; userId: string; kind: string };
}

export type GmailSyncMode = "full" | "incremental" | "resync";
/** Why a sync stopped: the user must reconnect, Google throttled it (it resumes later), or another error. */
export type GmailFailureReason = "reconnect_needed" | "throttled" | "error";
export interface GmailSyncCounts {
  contactsCreated: number;
  contactsUpdated: number;
  interactionsLogged: number;
  /** Interactions deleted with their messages (only when the connection asks for it). */
  interactionsDeleted: number;
  emailsProcessed: number;
  timeTakenSec: number;
}

export type DomainEventType = keyof DomainEventPayloads;

/** Why sessions ended (`user.sessions_ended`). */
export type SessionEndReason = DomainEventPayloads["user.sessions_ended"]["reason"];

export const DOMAIN_EVENT_TYPES = [
  "workspace.created",
  "workspace.updated",
  "workspace.deletion_scheduled",
  "workspace.deletion_cancelled",
  "workspace.deleted",
  "contact.created",
  "contact.updated",
  "contact.deleted",
  "contact.restored",
  "contact.purged",
  "contact.merged",
  "contact.unmerged",
  "contact.reconnect_changed",
  "task.created",
  "task.updated",
  "task.completed",
  "task.reopened",
  "task.deleted",
  "task.due",
  "interaction.created",
  "interaction.deleted",
  "member.added",
  "member.removed",
  "member.role_changed",
  "member.updated",
  "invitation.created",
  "invitation.accepted",
  "invitation.declined",
  "invitation.revoked",
  "contact.erased",
  "contact.restricted",
  "contact.unrestricted",
  "user.erased",
  "user.restricted",
  "user.unrestricted",
  "user.sessions_ended",
  "webhook.endpoint_disabled",
  "gmail.connected",
  "gmail.disconnected",
  "gmail.sync.completed",
  "gmail.sync.failed",
  "gdpr.export.completed",
  "notification.created",
] as const satisfies readonly DomainEventType[];

export type EventDraft = {
  [K in DomainEventType]: {
    type: K;
    workspaceId: string | null;
    actorId: string | null;
    payload: DomainEventPayloads[K];
  };
}[DomainEventType];

export interface DomainEvent {
  id: number;
  workspaceId: string | null;
  actorId: string | null;
  type: DomainEventType;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/**
 * The batch gap of a consumer that is only a fallback: every instance has already acted on the
 * commit's own wake-up (commit listeners), and the consumer's batch only repeats it, durably,
 * for a wake-up that was lost. Under a steady stream of commits such a consumer runs four
 * batches a second instead of twenty (each is a transaction of five statements on the
 * lease holder's shared CPUs); a lost wake-up is then made good a quarter second later at
 * most. An isolated commit, long after the consumer's last batch, is not held at all.
 */
export const FALLBACK_BATCH_GAP_MS = 250;

/** Runs once per cluster per event (at least once), in order, with a durable cursor. */
export interface EventConsumer {
  name: string;
  /** Where a consumer seen for the first time starts reading. */
  startFrom?: "beginning" | "now";
  /**
   * The only event types it acts on (none given: every type). A commit that names none of
   * them does not start its batch; its cursor moves on with its next batch, which comes
   * within about a second under a steady stream of other events. It is still handed every
   * event of a batch, and passes over the others. Read at every wake-up: a getter may answer
   * from what the consumer's data says (the webhooks consumer: what enabled endpoints want).
   */
  readonly types?: readonly DomainEventType[] | undefined;
  /**
   * Its batches start at least this far apart (default: the dispatcher's, 50 ms), the commits
   * meanwhile joining one batch: for a consumer whose latency matters little, since every
   * batch is a transaction of several statements.
   */
  batchGapMs?: number;
  /** `tx` is the dispatcher's transaction (it holds the cursor): query through it, never the pool. */
  handle(events: DomainEvent[], tx: Tx): Promise<void>;
  /**
   * Called (not awaited) once a batch's transaction has committed: for work that must only
   * start once what `handle` wrote is visible to other connections, e.g. queueing it.
   * Best effort: a crash between commit and this call must be recovered some other way.
   * `commit` names the events `handle` wrote through the outbox (null: it wrote none).
   */
  committed?(commit: CommitNotice | null): void;
}

/** Runs on every instance for every event it hears of (live subscriptions, local caches). */
export type EventListener = (event: DomainEvent) => void;

/** An event a transaction wrote, as its commit's wake-up names it. */
export interface CommittedEvent {
  id: number;
  workspaceId: string | null;
  type: DomainEventType;
  /**
   * The rest of the event when its writer knows it (what `appendEvents` wrote): the live
   * feeds hand it to their streams at once instead of after reading the outbox.
   */
  detail?: CommittedEventDetail | undefined;
}

export interface CommittedEventDetail {
  actorId: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/**
 * A commit that may have written events: the transaction's id (xid8, decimal) and the events
 * it wrote, each when the writer knew them (null otherwise: a reader then asks the outbox).
 */
export interface CommitNotice {
  txId: string | null;
  events: readonly CommittedEvent[] | null;
}

/** What is known of a commit whose writer knew nothing of its events. */
export const UNKNOWN_COMMIT: CommitNotice = Object.freeze({ txId: null, events: null });
