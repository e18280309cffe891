/**
 * Outgoing webhooks: the event catalogue, which endpoint wants which event, the retry
 * schedule and the input rules shared by the server and the web form. Pure: the
 * caller passes the clock's time and the random draw.
 */

/** A contact's snapshot as webhooks send it; the contact examples below vary it. */
const EXAMPLE_CONTACT = {
  id: "5f0c7f1e-8a40-4f57-9a57-0b5d2b5a3c11",
  name: "Ada Lovelace",
  email: "ada@example.com",
  company: "Analytical Engines",
  title: "Engineer",
  phone: null,
  tags: ["vip"],
  source: "manual",
  createdAt: "2026-01-01T10:00:00.000Z",
  updatedAt: "2026-01-01T10:00:00.000Z",
  deletedAt: null,
};

/**
 * What a receiver may subscribe to, with the shape of `data` it gets. `gdpr.export.completed`
 * is not among them: it is the requester's own news (it belongs to no workspace), not the
 * workspace's.
 */
export const WEBHOOK_EVENT_CATALOGUE = [
  {
    type: "contact.created",
    description: "A contact was created (by hand, by an import or by a sync).",
    example: EXAMPLE_CONTACT,
  },
  {
    type: "contact.updated",
    description: "Fields of a contact changed; `changedFields` names them.",
    example: {
      ...EXAMPLE_CONTACT,
      name: "Ada King",
      title: "Countess",
      updatedAt: "2026-01-02T10:00:00.000Z",
      changedFields: ["name", "title"],
    },
  },
  {
    type: "contact.deleted",
    description: "A contact was moved to the trash (restorable for 30 days).",
    example: {
      id: "5f0c7f1e-8a40-4f57-9a57-0b5d2b5a3c11",
      name: "Ada Lovelace",
      deletedAt: "2026-01-03T10:00:00.000Z",
    },
  },
  {
    type: "contact.restored",
    description: "A contact was restored from the trash.",
    example: { id: "5f0c7f1e-8a40-4f57-9a57-0b5d2b5a3c11", name: "Ada Lovelace", deletedAt: null },
  },
  {
    type: "contact.merged",
    description:
      "Two contacts were merged: the contact in `data` stayed and `mergedContactId` is gone; its interactions and links now belong to the one that stayed. Undoable for 30 days (`contact.unmerged`).",
    example: {
      ...EXAMPLE_CONTACT,
      updatedAt: "2026-01-04T10:00:00.000Z",
      mergedContactId: "7a1d9e2b-3c4f-4a5b-8c6d-0e1f2a3b4c5d",
    },
  },
  {
    type: "contact.unmerged",
    description:
      "A merge was undone: `restoredContactId` exists again with the interactions and links it had; the contact in `data` has its values from before the merge.",
    example: {
      ...EXAMPLE_CONTACT,
      updatedAt: "2026-01-03T10:00:00.000Z",
      restoredContactId: "7a1d9e2b-3c4f-4a5b-8c6d-0e1f2a3b4c5d",
    },
  },
  {
    type: "contact.erased",
    description: "A contact was erased on request (GDPR Art. 17): delete everything you hold about this id.",
    example: { id: "5f0c7f1e-8a40-4f57-9a57-0b5d2b5a3c11" },
  },
  {
    type: "interaction.created",
    description: "An interaction (email, meeting, call, note…) was recorded.",
    example: {
      id: "9d1b2c3a-1111-4a2b-8c3d-123456789abc",
      contactId: "5f0c7f1e-8a40-4f57-9a57-0b5d2b5a3c11",
      type: "meeting",
      direction: "outbound",
      occurredAt: "2026-01-05T09:30:00.000Z",
      subject: "Quarterly review",
      source: "manual",
      participantContactIds: ["5f0c7f1e-8a40-4f57-9a57-0b5d2b5a3c11"],
      createdAt: "2026-01-05T10:00:00.000Z",
    },
  },
  {
    type: "interaction.deleted",
    description: "An interaction was deleted.",
    example: { id: "9d1b2c3a-1111-4a2b-8c3d-123456789abc", contactId: "5f0c7f1e-8a40-4f57-9a57-0b5d2b5a3c11" },
  },
  {
    type: "member.added",
    description: "A user joined the workspace.",
    example: { userId: "0b7e8a52-3c55-4f7a-9a0e-77f0e5f1f001", role: "member" },
  },
  {
    type: "member.removed",
    description: "A user left or was removed from the workspace.",
    example: { userId: "0b7e8a52-3c55-4f7a-9a0e-77f0e5f1f001", previousRole: "member" },
  },
  {
    type: "member.role_changed",
    description: "A member's role changed.",
    example: { userId: "0b7e8a52-3c55-4f7a-9a0e-77f0e5f1f001", from: "member", to: "admin" },
  },
  {
    type: "member.updated",
    description: "A member renamed their account (the fields named; read the new name from workspaces.members).",
    example: { userId: "0b7e8a52-3c55-4f7a-9a0e-77f0e5f1f001", fields: ["name"] },
  },
  {
    type: "user.erased",
    description: "A user's account was erased on request (GDPR Art. 17): delete everything you hold about this id.",
    example: { userId: "0b7e8a52-3c55-4f7a-9a0e-77f0e5f1f001" },
  },
  {
    type: "gmail.sync.completed",
    description:
      "A member's Gmail sync finished (`mode`: full, incremental or resync); counts of what it stored. Ids and counts only.",
    example: {
      connectionId: "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7",
      mode: "incremental",
      contactsCreated: 2,
      contactsUpdated: 1,
      interactionsLogged: 14,
      interactionsDeleted: 0,
      emailsProcessed: 20,
    },
  },
  {
    type: "gmail.sync.failed",
    description:
      "A member's Gmail sync stopped (`reason`: reconnect_needed, throttled — it resumes later — or error); what it stored so far stays.",
    example: {
      connectionId: "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7",
      mode: "full",
      reason: "throttled",
      contactsCreated: 5,
      contactsUpdated: 0,
      interactionsLogged: 40,
      interactionsDeleted: 0,
      emailsProcessed: 50,
    },
  },
  {
    type: "webhook.test",
    description: "Sent by “Send test” on the webhooks page; never sent otherwise.",
    example: { endpointId: "2c9e4d6a-5b1f-4e2d-9c3b-a1b2c3d4e5f6", message: "Test message from Rapport" },
  },
] as const satisfies readonly { type: string; description: string; example: Record<string, unknown> }[];

export type WebhookEventType = (typeof WEBHOOK_EVENT_CATALOGUE)[number]["type"];
export const WEBHOOK_EVENT_TYPES = WEBHOOK_EVENT_CATALOGUE.map((entry) => entry.type) as WebhookEventType[];

/** Whether an endpoint subscribed to `eventTypes` (`["*"]` = every type) wants `type`. */
export function webhookWants(eventTypes: readonly string[], type: string): boolean {
  return eventTypes.includes("*") ? type !== "webhook.test" : eventTypes.includes(type);
}

export const WEBHOOK_MAX_ENDPOINTS = 20;
export const WEBHOOK_MAX_BODY_BYTES = 20 * 1024;

/** Delay before attempt n+1 after n failed attempts (index n−1); the first attempt is immediate. */
export const WEBHOOK_RETRY_SCHEDULE_MS = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
] as const;
/** The first attempt plus one per scheduled retry. */
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_SCHEDULE_MS.length + 1;
const JITTER = 0.2;

/**
 * When to try again after `failedAttempts` failures, or null when they are used up.
 * `random` in [0, 1) draws the ±20 % jitter (receivers that failed together do not
 * retry together); `retryAfterMs` (429/503 `Retry-After`) is honoured within one to
 * two times the scheduled delay, so a receiver can slow us down but not stop us.
 */
export function nextWebhookAttemptDelay(
  failedAttempts: number,
  random: number,
  retryAfterMs?: number | null,
  scale = 1,
): number | null {
  const scheduled = WEBHOOK_RETRY_SCHEDULE_MS[failedAttempts - 1];
  if (scheduled === undefined) return null;
  const jittered = scheduled * (1 - JITTER + 2 * JITTER * random);
  const delay =
    retryAfterMs === null || retryAfterMs === undefined
      ? jittered
      : Math.min(Math.max(retryAfterMs, jittered), 2 * jittered);
  return Math.round(delay * scale);
}

/** `Retry-After` as milliseconds (delta-seconds or an HTTP date), or null. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1_000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

/** An endpoint whose messages have only failed for this long is disabled. */
export const WEBHOOK_FAILING_DISABLE_MS = 5 * 86_400_000;
/** The previous secret keeps signing this long after a rotation. */
export const WEBHOOK_PREVIOUS_SECRET_MS = 86_400_000;
/** How far back `webhooks.recover` may reach. */
export const WEBHOOK_RECOVER_MAX_MS = 14 * 86_400_000;
