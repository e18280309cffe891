import { router, workspaceMember, workspaceProcessing } from "../../trpc";
import { cacheKeysInput } from "@rapport/core/schemas";
import { deleteKeyInput, warmupInput, warmupStatusInput, workspaceInput } from "./schemas";

/** The workspace's cache, for its owners and admins. */
export const cacheRouter = router({
  stats: workspaceMember("admin")
    .input(workspaceInput)
    .query(({ ctx, input }) => ctx.runtime.services.cache.stats(input.workspaceId)),
  invalidateWorkspace: workspaceMember("admin")
    .input(workspaceInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.cache.invalidateWorkspace(input.workspaceId)),
  deleteKey: workspaceMember("admin")
    .input(deleteKeyInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.cache.deleteKey(input.workspaceId, input.key)),
  keys: workspaceMember("admin")
    .input(cacheKeysInput)
    .query(({ ctx, input }) =>
      ctx.runtime.services.cache.keys(input.workspaceId, input.pattern, input.cursor, input.limit),
    ),
  warmup: workspaceProcessing("admin")
    .input(warmupInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.cache.warmup(input.workspaceId, input.limit, input.wait)),
  warmupStatus: workspaceMember("admin")
    .input(warmupStatusInput)
    .query(({ ctx, input }) => ctx.runtime.services.cache.warmupStatus(input.workspaceId, input.jobId)),
});
