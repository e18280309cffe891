import { z } from "zod";
import { idSchema } from "../../lib/schemas";
import { actorOf, router, workspaceMember } from "../../trpc";
import {
  createEndpointInput,
  endpointInput,
  eventCatalogue,
  messageInput,
  messagesInput,
  recoverInput,
  recoverStatusInput,
  updateEndpointInput,
} from "./schemas";

/** Outgoing webhooks: owners and admins only (endpoints hold secrets and send the workspace's data out). */
const admin = workspaceMember("admin");

export const webhooksRouter = router({
  eventTypes: admin.input(z.strictObject({ workspaceId: idSchema })).query(() => eventCatalogue),
  list: admin
    .input(z.strictObject({ workspaceId: idSchema }))
    .query(({ ctx, input }) => ctx.runtime.services.webhooks.list(input.workspaceId)),
  get: admin
    .input(endpointInput)
    .query(({ ctx, input }) => ctx.runtime.services.webhooks.get(input.workspaceId, input.endpointId)),
  create: admin.input(createEndpointInput).mutation(({ ctx, input }) => {
    const { workspaceId, ...endpoint } = input;
    return ctx.runtime.services.webhooks.create(workspaceId, endpoint, actorOf(ctx));
  }),
  update: admin.input(updateEndpointInput).mutation(({ ctx, input }) => {
    const { workspaceId, endpointId, ...patch } = input;
    return ctx.runtime.services.webhooks.update(workspaceId, endpointId, patch, actorOf(ctx));
  }),
  delete: admin
    .input(endpointInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.webhooks.remove(input.workspaceId, input.endpointId, actorOf(ctx)),
    ),
  rotateSecret: admin
    .input(endpointInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.webhooks.rotateSecret(input.workspaceId, input.endpointId, actorOf(ctx)),
    ),
  messages: admin.input(messagesInput).query(({ ctx, input }) => ctx.runtime.services.webhooks.messages(input)),
  attempts: admin
    .input(messageInput)
    .query(({ ctx, input }) => ctx.runtime.services.webhooks.attempts(input.workspaceId, input.messageId)),
  replay: admin
    .input(messageInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.webhooks.replay(input.workspaceId, input.messageId)),
  sendTest: admin
    .input(endpointInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.webhooks.sendTest(input.workspaceId, input.endpointId)),
  recover: admin
    .input(recoverInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.webhooks.recover(input.workspaceId, input.endpointId, input.since),
    ),
  recoverStatus: admin
    .input(recoverStatusInput)
    .query(({ ctx, input }) => ctx.runtime.services.webhooks.recoverStatus(input.workspaceId, input.jobId)),
});
