import { z } from "zod";
import { transferOwnershipInput, workspaceDeletionInput } from "@rapport/core/schemas";
import { idSchema } from "../../lib/schemas";
import { actorOf, authed, workspaceMember } from "../../trpc";

/** Handing a workspace over and deleting it (owners), the scheduled deletion's notice (members). */
export const lifecycleProcedures = {
  /** The receiving member becomes owner; the caller stays as admin. */
  transferOwnership: workspaceMember("owner")
    .input(transferOwnershipInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.ownership.transfer(input.workspaceId, input.userId, actorOf(ctx)),
    ),
  /** Confirmed by typing the workspace's name; runs after GDPR_DELETION_GRACE_DAYS, cancellable until then. */
  requestDeletion: workspaceMember("owner")
    .input(workspaceDeletionInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.workspaceDeletion.requestDeletion(input.workspaceId, input.confirmation, actorOf(ctx)),
    ),
  cancelDeletion: workspaceMember("owner")
    .input(z.strictObject({ workspaceId: idSchema }))
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.workspaceDeletion.cancelDeletion(input.workspaceId, actorOf(ctx)),
    ),
  /** Any member: whether (and when) the workspace is scheduled for deletion. */
  deletionStatus: workspaceMember("member")
    .input(z.strictObject({ workspaceId: idSchema }))
    .query(({ ctx, input }) => ctx.runtime.services.workspaceDeletion.status(input.workspaceId)),
  /** The workspaces only the caller owns (they keep the account from being deleted until handed over or deleted). */
  soleOwned: authed.query(({ ctx }) => ctx.runtime.services.workspaceDeletion.soleOwned(ctx.user.userId)),
};
