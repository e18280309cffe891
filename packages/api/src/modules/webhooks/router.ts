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
    .query(({ ctx, input }) => ctx.runtime.services.webhooks.endpoints.list(input.workspaceId)),
  get: admin
    .input(endpointInput)
    .query(({ ctx, input }) => ctx.runtime.services.webhooks.endpoints.get(input.workspaceId, input.endpointId)),
  create: admin.input(createEndpointInput).mutation(({ ctx, input }) => {
    const { workspaceId, ...endpoint } = input;
    return ctx.runtime.services.webhooks.endpoints.create(workspaceId, endpoint, actorOf(ctx));
  }),
  update: admin.input(updateEndpointInput).mutation(({ ctx, input }) => {
    const { workspaceId, endpointId, ...patch } = input;
    return ctx.runtime.services.webhooks.endpoints.update(workspaceId, endpointId, patch, actorOf(ctx));
  }),
  delete: admin
    .input(endpointInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.webhooks.endpoints.remove(input.workspaceId, input.endpointId, actorOf(ctx)),
    ),
  rotateSecret: admin
    .input(endpointInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.webhooks.endpoints.rotateSecret(input.workspaceId, input.endpointId, actorOf(ctx)),
    ),
  messages: admin.input(messagesInput).query(({ ctx, input }) => ctx.runtime.services.webhooks.log.messages(input)),
  attempts: admin
    .input(messageInput)
    .query(({ ctx, input }) => ctx.runtime.services.webhooks.log.attempts(input.workspaceId, input.messageId)),
  replay: admin
    .input(messageInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.webhooks.delivery.replay(input.workspaceId, input.messageId)),
  sendTest: admin
    .input(endpointInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.webhooks.delivery.sendTest(input.workspaceId, input.endpointId)),
  recover: admin
    .input(recoverInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.webhooks.recovery.recover(input.workspaceId, input.endpointId, input.since),
    ),
  recoverStatus: admin
    .input(recoverStatusInput)
    .query(({ ctx, input }) => ctx.runtime.services.webhooks.recovery.recoverStatus(input.workspaceId, input.jobId)),
});
