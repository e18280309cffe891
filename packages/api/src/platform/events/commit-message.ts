import {
  DOMAIN_EVENT_TYPES,
  type CommitNotice,
  type CommittedEvent,
  type CommittedEventDetail,
  type DomainEventType,
} from "./types";

/**
 * A commit's wake-up names at most this many events (an import's batch is a thousand, ~70 bytes
 * each): beyond, it names none and its readers ask the outbox.
 */
const EVENTS_MAX = 100;
/**
 * The events' list with their payloads stays under this many characters (payloads are ids and
 * field names, ~100–300 bytes); beyond, it names them without (the live feeds then read them).
 */
const DETAILED_MAX_CHARS = 32_768;
const TX_ID = /^[0-9]{1,20}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EVENT_TYPES = new Set<string>(DOMAIN_EVENT_TYPES);

/**
 * The commit wake-up other instances hear through Redis: `{txId}|{sender}|{events}`, the
 * events as a JSON list of `[id, workspaceId, type]`, or, when the writer knew every event
 * whole, `[id, workspaceId, type, actorId, createdAt (ms), payload]` (empty: not known). A
 * reader that knows only the first two parts (an older instance) still reads the transaction
 * id; one that knows only the three-item form reads no events from the longer one.
 */
export function encodeCommitMessage(commit: CommitNotice, sender: string): string {
  const { txId, events } = commit;
  let named = "";
  if (events && events.length <= EVENTS_MAX) {
    if (events.every((event) => event.detail)) {
      named = JSON.stringify(
        events.map((event) => {
          const { actorId, createdAt, payload } = event.detail!;
          return [event.id, event.workspaceId, event.type, actorId, createdAt.getTime(), payload];
        }),
      );
    }
    if (named === "" || named.length > DETAILED_MAX_CHARS)
      named = JSON.stringify(events.map((event) => [event.id, event.workspaceId, event.type]));
  }
  return `${txId ?? ""}|${sender}|${named}`;
}

/** The wake-up another instance sent (null: this instance's own). Anything malformed names nothing. */
export function decodeCommitMessage(message: string, self: string): CommitNotice | null {
  const first = message.indexOf("|");
  const second = first < 0 ? -1 : message.indexOf("|", first + 1);
  const txId = first < 0 ? message : message.slice(0, first);
  const sender = first < 0 ? "" : message.slice(first + 1, second < 0 ? undefined : second);
  if (sender === self) return null;
  return {
    txId: TX_ID.test(txId) ? txId : null,
    events: second < 0 ? null : parseEvents(message.slice(second + 1)),
  };
}

function parseEvents(text: string): CommittedEvent[] | null {
  // Longer than what a sender writes: not ours, unparsed.
  if (text === "" || text.length > DETAILED_MAX_CHARS) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length > EVENTS_MAX) return null;
  const events: CommittedEvent[] = [];
  for (const item of parsed) {
    if (!Array.isArray(item) || (item.length !== 3 && item.length !== 6)) return null;
    const [id, workspaceId, type] = item as unknown[];
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) return null;
    if (workspaceId !== null && (typeof workspaceId !== "string" || !UUID.test(workspaceId))) return null;
    if (typeof type !== "string" || !EVENT_TYPES.has(type)) return null;
    const event: CommittedEvent = { id, workspaceId, type: type as DomainEventType };
    if (item.length === 6) {
      const detail = parseDetail(item.slice(3));
      if (!detail) return null;
      event.detail = detail;
    }
    events.push(event);
  }
  return events;
}

function parseDetail([actorId, createdAt, payload]: unknown[]): CommittedEventDetail | null {
  if (actorId !== null && (typeof actorId !== "string" || !UUID.test(actorId))) return null;
  if (typeof createdAt !== "number" || !Number.isSafeInteger(createdAt) || createdAt <= 0) return null;
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return null;
  return { actorId, createdAt: new Date(createdAt), payload: payload as Record<string, unknown> };
}

/** A dispatcher batch's end as other instances hear it through Redis: `{txId}|{sender}`. */
export function encodeBatchEndMessage(txId: string, sender: string): string {
  return `${txId}|${sender}`;
}

/** The ended batch's transaction id another instance sent (null: this instance's own, or malformed). */
export function decodeBatchEndMessage(message: string, self: string): string | null {
  const separator = message.indexOf("|");
  if (separator < 0 || message.slice(separator + 1) === self) return null;
  const txId = message.slice(0, separator);
  return TX_ID.test(txId) ? txId : null;
}
