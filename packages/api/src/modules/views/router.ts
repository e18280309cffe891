import {
  createSavedViewInput,
  listSavedViewsInput,
  savedViewRefInput,
  updateSavedViewInput,
} from "@rapport/core/schemas";
import { router, workspaceMember } from "../../trpc";

/** Saved views of the contacts list (filters, sort, columns), private or shared with the workspace. */
export const viewsRouter = router({
  /** The caller's own views and the workspace's shared ones. */
  list: workspaceMember("member")
    .input(listSavedViewsInput)
    .query(({ ctx, input }) => ctx.runtime.services.views.list(input.workspaceId, ctx.user.userId)),
  create: workspaceMember("member")
    .input(createSavedViewInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.views.create(input, ctx.user.userId)),
  /** Only the owner changes a view. */
  update: workspaceMember("member")
    .input(updateSavedViewInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.views.update(input, ctx.user.userId)),
  /** The owner, or an admin for a shared view. */
  delete: workspaceMember("member")
    .input(savedViewRefInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.views.delete(input.workspaceId, input.viewId, ctx.user.userId, ctx.workspace.role),
    ),
});
