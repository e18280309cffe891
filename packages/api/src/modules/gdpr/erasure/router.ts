import { z } from "zod";
import { accountDeletionInput, contactErasureInput } from "@rapport/core/schemas";
import { idSchema, stringSchema } from "../../../lib/schemas";
import { actorOf, authed, workspaceMember } from "../../../trpc";

const contactRef = z.strictObject({ workspaceId: idSchema, contactId: idSchema });

/** Inventory, erasure, restriction and operations procedures. */
export const erasureProcedures = {
  /** Art. 17 for a contact, answered by the workspace (controller). Irreversible. */
  eraseContact: workspaceMember("admin")
    .input(contactErasureInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.gdprErasure.eraseContact(input.workspaceId, input.contactId, input.reason, actorOf(ctx)),
    ),
  /** Art. 17 for the calling user: scheduled after the grace period, cancellable until then. */
  requestDeletion: authed
    .input(accountDeletionInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.gdprErasure.requestDeletion(ctx.user.userId, input, actorOf(ctx)),
    ),
  cancelDeletion: authed
    .input(z.strictObject({}).optional())
    .mutation(({ ctx }) => ctx.runtime.services.gdprErasure.cancelDeletion(ctx.user.userId, actorOf(ctx))),
  /** Runs a scheduled deletion now: the subject with their password, or an owner/admin of all their workspaces. */
  executeDeletion: authed
    .input(z.strictObject({ deletionId: idSchema, password: stringSchema.min(1).max(256).optional() }))
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.gdprErasure.executeDeletion(ctx.user.userId, input, actorOf(ctx)),
    ),
  /** Art. 18 for the calling user. */
  restrict: authed
    .input(z.strictObject({}).optional())
    .mutation(({ ctx }) => ctx.runtime.services.gdprErasure.restrictUser(ctx.user.userId, actorOf(ctx))),
  unrestrict: authed
    .input(z.strictObject({}).optional())
    .mutation(({ ctx }) => ctx.runtime.services.gdprErasure.unrestrictUser(ctx.user.userId, actorOf(ctx))),
  restrictionStatus: authed.query(({ ctx }) => ctx.runtime.services.gdprErasure.restrictionStatus(ctx.user.userId)),
  /** Art. 18 for a contact, by the workspace. */
  restrictContact: workspaceMember("admin")
    .input(contactRef)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.gdprErasure.restrictContact(input.workspaceId, input.contactId, actorOf(ctx)),
    ),
  unrestrictContact: workspaceMember("admin")
    .input(contactRef)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.gdprErasure.unrestrictContact(input.workspaceId, input.contactId, actorOf(ctx)),
    ),
  /** A contact's privacy state for the contact page: restricted (and what that stops), erased when. Any member may read it. */
  contactPrivacy: workspaceMember("member")
    .input(contactRef)
    .query(({ ctx, input }) => ctx.runtime.services.gdprErasure.contactPrivacy(input.workspaceId, input.contactId)),
  /** The workspace's data-subject requests, newest first, overdue ones flagged (due = received + 1 month). */
  operations: workspaceMember("admin")
    .input(z.strictObject({ workspaceId: idSchema, limit: z.number().int().min(1).max(500).default(100) }))
    .query(({ ctx, input }) =>
      ctx.runtime.services.gdprErasure.listOperations({ workspaceId: input.workspaceId, limit: input.limit }),
    ),
  /** The calling user's own requests. */
  myOperations: authed
    .input(z.strictObject({ limit: z.number().int().min(1).max(500).default(100) }).optional())
    .query(({ ctx, input }) =>
      ctx.runtime.services.gdprErasure.listOperations({ subjectUserId: ctx.user.userId, limit: input?.limit ?? 100 }),
    ),
  /** Where personal data lives, who processes it and for how long (from the inventory and config). */
  dataLocations: authed.query(({ ctx }) => ctx.runtime.services.gdprErasure.dataLocations()),
};
