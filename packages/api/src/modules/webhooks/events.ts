import { WEBHOOK_MAX_BODY_BYTES, webhookWants } from "@rapport/core/webhooks";
import { gdprRestrictions, queryRows, webhookEndpoints, type Tx } from "@rapport/db";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { ServiceDeps } from "../../platform/deps";
import type { DomainEvent, DomainEventType } from "../../platform/events/types";
import type { ModuleEvents } from "../../platform/module";
import { contactSnapshots } from "../contacts/public";
import { interactionSnapshots } from "../interactions/public";

/** Outbox event types a receiver can subscribe to (the catalogue in @rapport/core/webhooks, but for webhook.test). */
const DELIVERED: ReadonlySet<DomainEventType> = new Set<DomainEventType>([
  "contact.created",
  "contact.updated",
  "contact.deleted",
  "contact.restored",
  "contact.merged",
  "contact.unmerged",
  "contact.erased",
  "interaction.created",
  "interaction.deleted",
  "member.added",
  "member.removed",
  "member.role_changed",
  "member.updated",
  "user.erased",
  "gmail.sync.completed",
  "gmail.sync.failed",
]);

const CONTACT_SNAPSHOT_TYPES: ReadonlySet<string> = new Set([
  "contact.created",
  "contact.updated",
  "contact.deleted",
  "contact.restored",
  "contact.merged",
  "contact.unmerged",
]);

/**
 * How long the event types the enabled endpoints want, as read by a batch, decide which commits
 * start the next batch at once. Read again by the first batch after that.
 */
const WANTED_TYPES_FRESH_MS = 5_000;

/**
 * The event types any enabled endpoint (of any workspace) wants, as last read: the commits
 * that start the consumer's batch at once. Every other commit's events wait for the
 * dispatcher's catch-up (about a second under a steady stream of commits), which hands them to
 * the batch like any other; whose endpoints are decided then, as always. So a list not read
 * again yet (an endpoint created or enabled since, on any instance) delays that endpoint's
 * messages by up to a second; it loses none. Without it, a cluster with no endpoints at all ran a batch
 * (a transaction of several statements) every 50 ms under a steady stream of writes.
 */
export class WantedWebhookTypes {
  private types: DomainEventType[] | null = null;
  private readAt = 0;

  constructor(
    private readonly freshMs = WANTED_TYPES_FRESH_MS,
    /** Milliseconds on a monotonic clock. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The types, while fresh; undefined (every commit starts a batch) before the first read or once stale. */
  get current(): readonly DomainEventType[] | undefined {
    return this.types !== null && this.now() - this.readAt < this.freshMs ? this.types : undefined;
  }

  /** Reads them again (through the batch's transaction) unless fresh. */
  async refresh(tx: Tx): Promise<void> {
    if (this.current) return;
    const rows = await queryRows<{ type: string }>(
      tx,
      sql`SELECT DISTINCT unnest(event_types) AS type FROM webhook_endpoints WHERE enabled`,
    );
    const named = rows.map((row) => row.type);
    this.types = [...DELIVERED].filter((type) => webhookWants(named, type));
    this.readAt = this.now();
  }
}

export function webhookEvents(deps: ServiceDeps): ModuleEvents {
  // The endpoints the batch being handled wrote messages for (batches of one consumer run one at a time).
  let written = new Set<string>();
  const wanted = new WantedWebhookTypes();
  return {
    consumers: [
      {
        // One message per event and subscribed endpoint, written with the consumer's cursor:
        // an event that committed gets its messages, one that rolled back never existed.
        name: "webhooks-messages",
        startFrom: "now",
        get types() {
          return wanted.current;
        },
        handle: async (events, tx) => {
          await wanted.refresh(tx);
          written = await createMessages(events, tx, deps.clock.now());
        },
        // Wakes delivery to those endpoints once the messages are visible to the workers,
        // without looking for them first (the sweeper catches what a crash drops here).
        committed: () => {
          const endpointIds = [...written];
          written = new Set();
          if (endpointIds.length === 0) return;
          deps.services.webhooks.delivery.wake(endpointIds).catch((error: unknown) => {
            deps.log.warn({ err: error }, "webhook wake-up after commit failed; the sweeper will queue them");
          });
        },
      },
    ],
  };
}

interface Draft {
  event: DomainEvent;
  data: Record<string, unknown>;
  contactIds: string[];
}

/** An event's messages to write: its stored body, once, for each of these endpoints. */
interface MessageGroup {
  endpointIds: string[];
  draft: Draft;
  body: string;
}

/** Writes the batch's messages; the endpoints they are for. */
async function createMessages(events: DomainEvent[], tx: Tx, now: Date): Promise<Set<string>> {
  const written = new Set<string>();
  const relevant = events.filter((event) => event.workspaceId && DELIVERED.has(event.type));
  if (relevant.length === 0) return written;
  const workspaceIds = [...new Set(relevant.map((event) => event.workspaceId!))];
  const endpoints = await tx
    .select({
      id: webhookEndpoints.id,
      workspaceId: webhookEndpoints.workspaceId,
      eventTypes: webhookEndpoints.eventTypes,
    })
    .from(webhookEndpoints)
    .where(and(inArray(webhookEndpoints.workspaceId, workspaceIds), eq(webhookEndpoints.enabled, true)));
  if (endpoints.length === 0) return written;
  const wanted = relevant.filter((event) =>
    endpoints.some(
      (endpoint) => endpoint.workspaceId === event.workspaceId && webhookWants(endpoint.eventTypes, event.type),
    ),
  );
  if (wanted.length === 0) return written;

  const drafts = await draftsOf(tx, wanted);
  const groups = drafts.flatMap((draft): MessageGroup[] => {
    const endpointIds = endpoints
      .filter(
        (endpoint) =>
          endpoint.workspaceId === draft.event.workspaceId && webhookWants(endpoint.eventTypes, draft.event.type),
      )
      .map((endpoint) => endpoint.id);
    return endpointIds.length === 0 ? [] : [{ endpointIds, draft, body: bodyOf(draft) }];
  });
  if (groups.length === 0) return written;
  // One statement with the messages as one JSON array, not a parameter per value: a batch of
  // events becomes thousands of messages, and binding (and building) a parameter each cost more
  // than writing them; one JSON.stringify builds them ~4× faster than an array literal per
  // column escaped by hand. Each event's body is in it once, with the endpoints it goes to:
  // Postgres parses it once, not once per endpoint.
  for (const chunk of insertChunks(groups)) await insertMessages(tx, chunk, now);
  for (const group of groups) for (const endpointId of group.endpointIds) written.add(endpointId);
  return written;
}

/**
 * Events in statements of at most MESSAGES_PER_INSERT messages and about
 * MESSAGE_BYTES_PER_INSERT of bodies: a batch of large bodies would otherwise be one string of
 * hundreds of megabytes, copied again by the driver and by Postgres.
 */
const MESSAGES_PER_INSERT = 1_000;
const MESSAGE_BYTES_PER_INSERT = 4 * 1024 * 1024;

function* insertChunks(groups: MessageGroup[]): Generator<MessageGroup[]> {
  let chunk: MessageGroup[] = [];
  let messages = 0;
  let bytes = 0;
  for (const group of groups) {
    const size = group.body.length;
    if (
      chunk.length > 0 &&
      (messages + group.endpointIds.length > MESSAGES_PER_INSERT || bytes + size > MESSAGE_BYTES_PER_INSERT)
    ) {
      yield chunk;
      chunk = [];
      messages = 0;
      bytes = 0;
    }
    chunk.push(group);
    messages += group.endpointIds.length;
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

async function insertMessages(tx: Tx, groups: MessageGroup[], now: Date): Promise<void> {
  const events = JSON.stringify(
    groups.map(({ draft, endpointIds, body }) => ({
      workspace_id: draft.event.workspaceId,
      endpoint_ids: endpointIds,
      event_id: draft.event.id,
      event_type: draft.event.type,
      body,
      contact_ids: draft.contactIds,
    })),
  );
  await tx.execute(sql`
    INSERT INTO webhook_messages (workspace_id, endpoint_id, event_id, event_type, body, contact_ids,
                                  next_attempt_at, created_at)
    SELECT v.workspace_id, e.endpoint_id, v.event_id, v.event_type, v.body, v.contact_ids,
           ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
    FROM json_to_recordset(${events}::json)
      AS v(workspace_id uuid, endpoint_ids uuid[], event_id bigint, event_type text, body text, contact_ids uuid[])
    CROSS JOIN LATERAL unnest(v.endpoint_ids) AS e(endpoint_id)
    ON CONFLICT (endpoint_id, event_id) DO NOTHING`);
}

/** The stored body: under 20 kB, or the event's ids alone when a snapshot would not fit. */
function bodyOf(draft: Draft): string {
  const body = JSON.stringify({
    type: draft.event.type,
    timestamp: draft.event.createdAt.toISOString(),
    data: draft.data,
  });
  if (Buffer.byteLength(body) <= WEBHOOK_MAX_BODY_BYTES) return body;
  return JSON.stringify({
    type: draft.event.type,
    timestamp: draft.event.createdAt.toISOString(),
    data: { ...idsOf(draft.event), truncated: true },
  });
}

/** The ids an event names, under the names receivers see. */
function idsOf(event: DomainEvent): Record<string, unknown> {
  const { contactId, interactionId } = event.payload as { contactId?: string; interactionId?: string };
  if (event.type.startsWith("contact.")) return { id: contactId };
  if (event.type.startsWith("interaction.")) return { id: interactionId, contactId };
  return { ...event.payload };
}

/**
 * Each event's `data`: a snapshot of the object's public fields now (so every retry sends
 * the same bytes), ids only for erasures and membership. GDPR: an event about a contact
 * whose processing is restricted is not delivered at all (Art. 18); an erasure is announced
 * with the id alone (Art. 19).
 */
async function draftsOf(tx: Tx, events: DomainEvent[]): Promise<Draft[]> {
  const involved = (event: DomainEvent): string[] => {
    const payload = event.payload as { contactId?: string; participantContactIds?: string[] };
    return [...(payload.contactId ? [payload.contactId] : []), ...(payload.participantContactIds ?? [])];
  };
  const allContacts = [...new Set(events.flatMap(involved))];
  const restricted = new Set(
    allContacts.length === 0
      ? []
      : (
          await tx
            .select({ id: gdprRestrictions.subjectId })
            .from(gdprRestrictions)
            .where(and(eq(gdprRestrictions.subjectKind, "contact"), inArray(gdprRestrictions.subjectId, allContacts)))
        ).map((row) => row.id),
  );
  const deliverable = events.filter(
    (event) => event.type === "contact.erased" || !involved(event).some((id) => restricted.has(id)),
  );

  const byWorkspace = new Map<string, DomainEvent[]>();
  for (const event of deliverable) {
    const list = byWorkspace.get(event.workspaceId!) ?? [];
    list.push(event);
    byWorkspace.set(event.workspaceId!, list);
  }
  const drafts: Draft[] = [];
  for (const [workspaceId, list] of byWorkspace) {
    const contactIds = list
      .filter((event) => CONTACT_SNAPSHOT_TYPES.has(event.type))
      .map((event) => (event.payload as { contactId: string }).contactId);
    const interactionIds = list
      .filter((event) => event.type === "interaction.created")
      .map((event) => (event.payload as { interactionId: string }).interactionId);
    const contacts = await contactSnapshots(tx, workspaceId, contactIds);
    const interactions = await interactionSnapshots(tx, workspaceId, interactionIds);
    for (const event of list) {
      const payload = event.payload as {
        contactId?: string;
        interactionId?: string;
        userId?: string;
        fields?: string[];
        mergedContactId?: string;
        restoredContactId?: string;
      };
      if (CONTACT_SNAPSHOT_TYPES.has(event.type)) {
        const contact = contacts.get(payload.contactId!);
        // A merge names the contact that went (or came back) too: its id, for the receiver to follow.
        const other = payload.mergedContactId ?? payload.restoredContactId;
        const related = {
          ...(event.type === "contact.updated" && { changedFields: payload.fields ?? [] }),
          ...(payload.mergedContactId && { mergedContactId: payload.mergedContactId }),
          ...(payload.restoredContactId && { restoredContactId: payload.restoredContactId }),
        };
        drafts.push({
          event,
          data: contact ? { ...contact, ...related } : { id: payload.contactId, ...related },
          contactIds: other ? [payload.contactId!, other] : [payload.contactId!],
        });
      } else if (event.type === "interaction.created") {
        const interaction = interactions.get(payload.interactionId!);
        drafts.push({
          event,
          data: interaction ? { ...interaction } : idsOf(event),
          contactIds: interaction ? [...new Set([interaction.contactId, ...interaction.participantContactIds])] : [],
        });
      } else {
        // Erasures, deletions, membership and Gmail syncs: ids (and counts) only, nothing personal to scrub later.
        drafts.push({ event, data: idsOf(event), contactIds: [] });
      }
    }
  }
  return drafts;
}
