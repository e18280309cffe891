import { DOMAIN_EVENT_TYPES, type CommitNotice, type CommittedEvent, type DomainEventType } from "./types";

/**
 * A commit's wake-up names at most this many events (an import's batch is a thousand, ~70 bytes
 * each): beyond, it names none and its readers ask the outbox.
 */
const EVENTS_MAX = 100;
const TX_ID = /^[0-9]{1,20}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EVENT_TYPES = new Set<string>(DOMAIN_EVENT_TYPES);

/**
 * The commit wake-up other instances hear through Redis: `{txId}|{sender}|{events}`, the
 * events as a JSON list of `[id, workspaceId, type]` (empty: not known). A reader that knows
 * only the first two parts (an older instance) still reads the transaction id.
 */
export function encodeCommitMessage(commit: CommitNotice, sender: string): string {
  const { txId, events } = commit;
  const named =
    events && events.length <= EVENTS_MAX
      ? JSON.stringify(events.map((event) => [event.id, event.workspaceId, event.type]))
      : "";
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
  // A listed event takes well under 160 characters: anything longer is not ours, unparsed.
  if (text === "" || text.length > EVENTS_MAX * 160) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length > EVENTS_MAX) return null;
  const events: CommittedEvent[] = [];
  for (const item of parsed) {
    if (!Array.isArray(item) || item.length !== 3) return null;
    const [id, workspaceId, type] = item as unknown[];
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) return null;
    if (workspaceId !== null && (typeof workspaceId !== "string" || !UUID.test(workspaceId))) return null;
    if (typeof type !== "string" || !EVENT_TYPES.has(type)) return null;
    events.push({ id, workspaceId, type: type as DomainEventType });
  }
  return events;
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
