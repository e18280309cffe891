import type { ServiceDeps } from "../../../platform/deps";
import type { Actor } from "../../../platform/actor";
import * as accountDeletion from "./account-deletion";
import { eraseContact } from "./contact-erasure";
import type { ErasureContext } from "./context";
import * as restriction from "./processing-restriction";
import { enforceRetention } from "./retention";
import { dataLocations, listOperations } from "./transparency";

/**
 * Erasure (Art. 17), restriction (Art. 18), retention and the operations log.
 * Knows no module's tables: what to erase comes from the privacy registry.
 * Each concern lives in its own file; this class holds what they share and is
 * what routers, jobs and the request guard call:
 *  - contact-erasure.ts: erasing a contact for the workspace;
 *  - account-deletion.ts: a user's account deletion, scheduled, cancelled, executed;
 *  - processing-restriction.ts: restricting a user's or a contact's processing;
 *  - retention.ts: the daily deletion of what is past its retention;
 *  - transparency.ts: the operations log and where data lives.
 */
export class GdprErasureService {
  private readonly ctx: ErasureContext;

  constructor(deps: ServiceDeps) {
    this.ctx = {
      deps,
      registry: deps.privacy,
      restrictions: deps.restrictions,
      dropCaches: async (workspaceIds) => {
        for (const id of workspaceIds) {
          try {
            // Drops the cached derived data now (bump + sweep), beyond the event-driven bump.
            await deps.cache.invalidateWorkspace(id);
          } catch (error) {
            deps.log.warn(
              { err: error, workspaceId: id },
              "cache invalidation after erasure failed; the erasure event bumps it again",
            );
          }
        }
      },
      discardCopies: async () => {
        try {
          // The files of the exports the erasure discarded; the erasure events delete them again, durably.
          await deps.services.gdprExports.deleteDiscardedFiles();
        } catch (error) {
          deps.log.warn({ err: error }, "discarding derived copies after erasure failed; the erasure event retries it");
        }
      },
    };
  }

  eraseContact(workspaceId: string, contactId: string, reason: string, actor: Actor) {
    return eraseContact(this.ctx, workspaceId, contactId, reason, actor);
  }

  requestDeletion(userId: string, input: { reason: string; password: string }, actor: Actor) {
    return accountDeletion.requestDeletion(this.ctx, userId, input, actor);
  }

  cancelDeletion(userId: string, actor: Actor) {
    return accountDeletion.cancelDeletion(this.ctx, userId, actor);
  }

  /** Runs a scheduled deletion now: the user themself (with their password) or an owner/admin of every workspace they belong to. */
  executeDeletion(callerId: string, input: { deletionId: string; password?: string }, actor: Actor) {
    return accountDeletion.executeDeletion(this.ctx, callerId, input, actor);
  }

  /** Daily job: executes deletions whose grace period has ended. */
  runDueDeletions() {
    return accountDeletion.runDueDeletions(this.ctx);
  }

  restrictUser(userId: string, actor: Actor) {
    return restriction.restrictUser(this.ctx, userId, actor);
  }

  unrestrictUser(userId: string, actor: Actor) {
    return restriction.unrestrictUser(this.ctx, userId, actor);
  }

  restrictContact(workspaceId: string, contactId: string, actor: Actor) {
    return restriction.restrictContact(this.ctx, workspaceId, contactId, actor);
  }

  unrestrictContact(workspaceId: string, contactId: string, actor: Actor) {
    return restriction.unrestrictContact(this.ctx, workspaceId, contactId, actor);
  }

  /** FORBIDDEN while the user restricts processing; guards every procedure that processes the caller's data. */
  assertProcessingAllowed(userId: string): Promise<void> {
    return restriction.assertProcessingAllowed(this.ctx, userId);
  }

  restrictionStatus(userId: string) {
    return restriction.restrictionStatus(this.ctx, userId);
  }

  /** A contact's privacy state for the contact page: restricted (and what that stops), erased when. */
  contactPrivacy(workspaceId: string, contactId: string) {
    return restriction.contactPrivacy(this.ctx, workspaceId, contactId);
  }

  /** Daily: audit entries, refresh tokens and ended sessions past their retention. */
  enforceRetention() {
    return enforceRetention(this.ctx);
  }

  listOperations(filter: { workspaceId?: string; subjectUserId?: string; limit: number }) {
    return listOperations(this.ctx, filter);
  }

  dataLocations() {
    return dataLocations(this.ctx);
  }
}
