import { createTaskInput, listTasksInput, taskRefInput, updateTaskInput } from "@rapport/core/schemas";
import { actorOf, router, workspaceMember } from "../../trpc";

export const tasksRouter = router({
  /** A follow-up, optionally about a contact and a timeline item, optionally for another member. */
  create: workspaceMember("member")
    .input(createTaskInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.tasks.create(input, actorOf(ctx))),
  /** Mine or everyone's; open, overdue, due today (in the caller's time zone), upcoming or done. */
  list: workspaceMember("member")
    .input(listTasksInput)
    .query(({ ctx, input }) => ctx.runtime.services.tasks.list(input, ctx.user.userId)),
  update: workspaceMember("member")
    .input(updateTaskInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.tasks.update(input, actorOf(ctx))),
  complete: workspaceMember("member")
    .input(taskRefInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.tasks.complete(input, actorOf(ctx))),
  reopen: workspaceMember("member")
    .input(taskRefInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.tasks.reopen(input, actorOf(ctx))),
  delete: workspaceMember("member")
    .input(taskRefInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.tasks.delete(input, actorOf(ctx))),
});
