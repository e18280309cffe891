import { router, workspaceProcessing } from "../../trpc";
import { forContactInput } from "./schemas";

export const recommendationsRouter = router({
  /** Contacts this contact is most likely connected to, with reasons; `cached` says whether the cache answered. */
  forContact: workspaceProcessing("member")
    .input(forContactInput)
    .query(({ ctx, input }) => ctx.runtime.services.recommendations.forContact(input)),
});
