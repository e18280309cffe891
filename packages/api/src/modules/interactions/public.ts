import { interactionParticipants, interactions, type Executor } from "@rapport/db";
import { and, eq, inArray, isNotNull } from "drizzle-orm";

/** An interaction's public fields as other modules may publish them (e.g. in a webhook's `data`). */
export interface InteractionSnapshot {
  id: string;
  contactId: string;
  type: string;
  /** Null for notes. */
  direction: string | null;
  occurredAt: Date;
  subject: string | null;
  source: string;
  participantContactIds: string[];
  createdAt: Date;
}

/** The interactions of `workspaceId` among `ids` with their participants' contact ids, read through `executor`. */
export async function interactionSnapshots(
  executor: Executor,
  workspaceId: string,
  ids: readonly string[],
): Promise<Map<string, InteractionSnapshot>> {
  if (ids.length === 0) return new Map();
  const unique = [...new Set(ids)];
  const rows = await executor
    .select({
      id: interactions.id,
      contactId: interactions.contactId,
      type: interactions.type,
      direction: interactions.direction,
      occurredAt: interactions.occurredAt,
      subject: interactions.subject,
      source: interactions.source,
      createdAt: interactions.createdAt,
    })
    .from(interactions)
    .where(and(eq(interactions.workspaceId, workspaceId), inArray(interactions.id, unique)));
  const participants = await executor
    .select({ interactionId: interactionParticipants.interactionId, contactId: interactionParticipants.contactId })
    .from(interactionParticipants)
    .where(and(inArray(interactionParticipants.interactionId, unique), isNotNull(interactionParticipants.contactId)));
  const byInteraction = new Map<string, string[]>();
  for (const participant of participants)
    (
      byInteraction.get(participant.interactionId) ??
      byInteraction.set(participant.interactionId, []).get(participant.interactionId)!
    ).push(participant.contactId!);
  return new Map(
    rows.map((row) => [row.id, { ...row, participantContactIds: [...new Set(byInteraction.get(row.id) ?? [])] }]),
  );
}
/**
 * What other modules may use of interactions: the shape importers hand to `importMany` (in their
 * transaction), the email figures per contact, and which contacts each interaction belongs to.
 */
export type { ImportedInteraction } from "./service";
export { emailFigures } from "./figures";
export { contactInteractionLinks, contactInteractionTimes } from "./links";
