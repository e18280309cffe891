import { domainEvents, type Executor } from "@rapport/db";
import type { EventDraft } from "./types";

/** Writes events inside the caller's transaction: they exist iff it commits. */
export async function appendEvents(tx: Executor, drafts: EventDraft[]): Promise<void> {
  if (drafts.length === 0) return;
  await tx.insert(domainEvents).values(
    drafts.map((draft) => ({
      workspaceId: draft.workspaceId,
      actorId: draft.actorId,
      type: draft.type,
      payload: draft.payload as Record<string, unknown>,
    })),
  );
}
