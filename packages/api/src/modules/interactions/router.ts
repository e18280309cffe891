import { actorOf, router, workspaceMember } from "../../trpc";
import { createInteractionInput, deleteInteractionInput, listForContactInput } from "@rapport/core/schemas";

export const interactionsRouter = router({
  create: workspaceMember("member")
    .input(createInteractionInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.interactions.create(input, actorOf(ctx))),
  listForContact: workspaceMember("member")
    .input(listForContactInput)
    .query(({ ctx, input }) => ctx.runtime.services.interactions.listForContact(input)),
  delete: workspaceMember("member")
    .input(deleteInteractionInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.interactions.delete(input.workspaceId, input.interactionId, actorOf(ctx)),
    ),
});
