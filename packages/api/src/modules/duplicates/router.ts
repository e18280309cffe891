import {
  checkDuplicatesInput,
  dismissDuplicateInput,
  listDuplicatesInput,
  listMergesInput,
  mergeContactsInput,
  scanDuplicatesInput,
  undoMergeInput,
} from "@rapport/core/schemas";
import { actorOf, router, workspaceMember } from "../../trpc";

/** Likely duplicate contacts, and merging them (with 30 days of undo). Any member may clean the list. */
export const duplicatesRouter = router({
  /** Starts a scan of the workspace (a job: follow it with `jobs.progress`). */
  scan: workspaceMember("member")
    .input(scanDuplicatesInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.duplicates.startScan(input.workspaceId)),
  list: workspaceMember("member")
    .input(listDuplicatesInput)
    .query(({ ctx, input }) => ctx.runtime.services.duplicates.list(input.workspaceId, input.limit, input.cursor)),
  /** The contact form's "looks like Ana Lima at Acme" before it creates anything. */
  check: workspaceMember("member")
    .input(checkDuplicatesInput)
    .query(({ ctx, input: { workspaceId, ...fields } }) => ctx.runtime.services.duplicates.check(workspaceId, fields)),
  dismiss: workspaceMember("member")
    .input(dismissDuplicateInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.duplicates.dismiss(input.workspaceId, input.contactIds, actorOf(ctx)),
    ),
  previewMerge: workspaceMember("member")
    .input(mergeContactsInput)
    .query(({ ctx, input }) => ctx.runtime.services.duplicates.previewMerge(input)),
  merge: workspaceMember("member")
    .input(mergeContactsInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.duplicates.merge(input, actorOf(ctx))),
  undoMerge: workspaceMember("member")
    .input(undoMergeInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.duplicates.undoMerge(input.workspaceId, input.mergeId, actorOf(ctx)),
    ),
  /** Merges that can still be undone, newest first. */
  merges: workspaceMember("member")
    .input(listMergesInput)
    .query(({ ctx, input }) => ctx.runtime.services.duplicates.merges(input.workspaceId, input.limit)),
});
