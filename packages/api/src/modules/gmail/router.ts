import { actorOf, router, workspaceMember, workspaceProcessing } from "../../trpc";
import {
  completeOAuthInput,
  contactInput,
  setFrequencyInput,
  syncNowInput,
  updateSettingsInput,
  workspaceInput,
} from "./schemas";

/** Puts the caller's own mailbox in the workspace the input names in `ctx.owner`: what these procedures act on. */
function onOwnMailbox(procedure: ReturnType<typeof workspaceMember>) {
  return procedure.use(({ ctx, next }) =>
    next({ ctx: { owner: { workspaceId: ctx.workspace.id, userId: ctx.user.userId } } }),
  );
}

/** Viewing, pausing and disconnecting one's mailbox: always allowed. */
const viewOwnMailbox = onOwnMailbox(workspaceMember("member"));
/** Connecting and syncing process the caller's data: refused while they restrict processing. */
const processOwnMailbox = onOwnMailbox(workspaceProcessing("member"));

/** The caller's own mailbox connection in a workspace, and the email figures of its contacts. */
export const gmailRouter = router({
  status: viewOwnMailbox.input(workspaceInput).query(({ ctx }) => ctx.runtime.services.gmail.status(ctx.owner)),
  authUrl: processOwnMailbox.input(workspaceInput).mutation(({ ctx }) => ctx.runtime.services.gmail.authUrl(ctx.owner)),
  completeOAuth: processOwnMailbox
    .input(completeOAuthInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.gmail.completeOAuth(ctx.owner, input.code, input.state, actorOf(ctx)),
    ),
  syncNow: processOwnMailbox
    .input(syncNowInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.gmail.syncNow(ctx.owner, input.maxEmails)),
  pause: viewOwnMailbox.input(workspaceInput).mutation(({ ctx }) => ctx.runtime.services.gmail.pause(ctx.owner)),
  resume: processOwnMailbox.input(workspaceInput).mutation(({ ctx }) => ctx.runtime.services.gmail.resume(ctx.owner)),
  setFrequency: viewOwnMailbox
    .input(setFrequencyInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.gmail.setFrequency(ctx.owner, input.minutes)),
  // Settings change what the sync does with the caller's mail: processing, refused while restricted.
  updateSettings: processOwnMailbox
    .input(updateSettingsInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.gmail.updateSettings(ctx.owner, input)),
  disconnect: viewOwnMailbox
    .input(workspaceInput)
    .mutation(({ ctx }) => ctx.runtime.services.gmail.disconnect(ctx.owner, actorOf(ctx))),
  contactInsights: workspaceMember("member")
    .input(contactInput)
    .query(({ ctx, input }) => ctx.runtime.services.gmail.contactInsights(input.workspaceId, input.contactId)),
  enrichContact: workspaceMember("member")
    .input(contactInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.gmail.enrichContact(input.workspaceId, input.contactId)),
});
