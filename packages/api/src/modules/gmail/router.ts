import { actorOf, router, workspaceMember, workspaceProcessing } from "../../trpc";
import { completeOAuthInput, contactInput, setFrequencyInput, syncNowInput, workspaceInput } from "./schemas";

/**
 * The caller's own mailbox connection in a workspace. Connecting and syncing process the
 * caller's data (refused while they restrict processing); viewing, pausing and disconnecting
 * are always allowed.
 */
export const gmailRouter = router({
  status: workspaceMember("member")
    .input(workspaceInput)
    .query(({ ctx, input }) => ctx.runtime.services.gmail.status(input.workspaceId, ctx.user.userId)),
  authUrl: workspaceProcessing("member")
    .input(workspaceInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.gmail.authUrl(input.workspaceId, ctx.user.userId)),
  completeOAuth: workspaceProcessing("member")
    .input(completeOAuthInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.gmail.completeOAuth(input.workspaceId, input.code, input.state, actorOf(ctx)),
    ),
  syncNow: workspaceProcessing("member")
    .input(syncNowInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.gmail.syncNow(input.workspaceId, ctx.user.userId, input.maxEmails),
    ),
  pause: workspaceMember("member")
    .input(workspaceInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.gmail.pause(input.workspaceId, ctx.user.userId)),
  resume: workspaceProcessing("member")
    .input(workspaceInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.gmail.resume(input.workspaceId, ctx.user.userId)),
  setFrequency: workspaceMember("member")
    .input(setFrequencyInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.gmail.setFrequency(input.workspaceId, ctx.user.userId, input.minutes),
    ),
  disconnect: workspaceMember("member")
    .input(workspaceInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.gmail.disconnect(input.workspaceId, ctx.user.userId, actorOf(ctx)),
    ),
  contactInsights: workspaceMember("member")
    .input(contactInput)
    .query(({ ctx, input }) => ctx.runtime.services.gmail.contactInsights(input.workspaceId, input.contactId)),
  enrichContact: workspaceMember("member")
    .input(contactInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.gmail.enrichContact(input.workspaceId, input.contactId)),
});
