import type { Executor } from "@rapport/db";
import { recordAudit } from "../../../platform/audit";
import type { Actor } from "../../../platform/actor";
import type { ServiceDeps } from "../../../platform/deps";
import type { PrivacyRegistry, Subject } from "../../../platform/privacy/registry";
import type { RestrictionIndex } from "../../../platform/privacy/restriction";

export const DAY_MS = 86_400_000;

/** What erasure, account deletion, restriction and retention share. */
export interface ErasureContext {
  deps: ServiceDeps;
  /** Every module's privacy handlers: what to erase, what a restriction stops. */
  registry: PrivacyRegistry;
  /** Who restricts processing, in memory for the read paths (updated here at commit, elsewhere by the events). */
  restrictions: RestrictionIndex;
  /** After commit: drops these workspaces' cached derived data now; the erasure events bump it again. */
  dropCaches(workspaceIds: string[]): Promise<void>;
  /** After commit: deletes the files of the exports the erasure discarded; the erasure events do it again, durably. */
  discardCopies(subject: Subject): Promise<void>;
}

/** Audit entries refer to the subject by opaque id only; never the reason or any personal value. */
export function auditOperation(
  tx: Executor,
  actor: Actor,
  action: string,
  workspaceId: string | null,
  operationId: string,
  subjectId: string,
  kind: string,
) {
  return recordAudit(tx, {
    action,
    workspaceId,
    actorId: actor.actorId,
    targetType: kind,
    targetId: subjectId,
    ip: actor.ip,
    userAgent: actor.userAgent,
    metadata: { operationId },
  });
}
