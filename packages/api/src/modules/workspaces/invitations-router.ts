import { z } from "zod";
import { inviteMemberInput } from "@rapport/core/schemas";
import { idSchema, stringSchema } from "../../lib/schemas";
import { actorOf, authed, router, workspaceMember } from "../../trpc";

/** An invitation link's token: 32 random bytes in base64url (fixed length, so the pattern is linear). */
const tokenSchema = stringSchema.regex(/^[A-Za-z0-9_-]{43}$/, "must be an invitation token");
const tokenInput = z.strictObject({ token: tokenSchema });

export const invitationsRouter = router({
  // Owners and admins of the workspace.
  invite: workspaceMember("admin")
    .input(inviteMemberInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.invitations.invite(
        input.workspaceId,
        input.email,
        input.role,
        ctx.workspace.role,
        actorOf(ctx),
      ),
    ),
  listPending: workspaceMember("admin")
    .input(z.strictObject({ workspaceId: idSchema }))
    .query(({ ctx, input }) => ctx.runtime.services.invitations.listPending(input.workspaceId)),
  revoke: workspaceMember("admin")
    .input(z.strictObject({ workspaceId: idSchema, invitationId: idSchema }))
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.invitations.revoke(input.workspaceId, input.invitationId, ctx.workspace.role, actorOf(ctx)),
    ),
  // The invitee: holds the link's token and is signed in with the invited address.
  preview: authed
    .input(tokenInput)
    .query(({ ctx, input }) => ctx.runtime.services.invitations.preview(input.token, ctx.user.userId)),
  accept: authed
    .input(tokenInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.invitations.accept(input.token, actorOf(ctx))),
  decline: authed
    .input(tokenInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.invitations.decline(input.token, actorOf(ctx))),
});
