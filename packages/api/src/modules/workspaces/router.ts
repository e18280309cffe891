import { phoneCountries } from "@rapport/core";
import { createWorkspaceInput, updateWorkspaceInput, workspaceRoleSchema } from "@rapport/core/schemas";
import { z } from "zod";
import { idSchema } from "../../lib/schemas";
import { actorOf, authed, router, workspaceMember } from "../../trpc";
import { lifecycleProcedures } from "./lifecycle-router";

export const workspacesRouter = router({
  create: authed
    .input(createWorkspaceInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.workspaces.create(input.name, actorOf(ctx))),
  list: authed.query(({ ctx }) => ctx.runtime.services.workspaces.listMine(ctx.user.userId)),
  update: workspaceMember("admin")
    .input(updateWorkspaceInput)
    .mutation(({ ctx, input }) => {
      const { workspaceId, ...patch } = input;
      return ctx.runtime.services.workspaces.update(workspaceId, patch, actorOf(ctx));
    }),
  /** The countries a workspace's phone country may be, with their calling codes. */
  phoneCountries: authed.query(() => phoneCountries()),
  members: workspaceMember("member")
    .input(z.strictObject({ workspaceId: idSchema }))
    .query(({ ctx, input }) => ctx.runtime.services.workspaces.listMembers(input.workspaceId)),
  setRole: workspaceMember("admin")
    .input(z.strictObject({ workspaceId: idSchema, userId: idSchema, role: workspaceRoleSchema }))
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.workspaces.setRole(
        input.workspaceId,
        input.userId,
        input.role,
        ctx.workspace.role,
        actorOf(ctx),
      ),
    ),
  // Members may call this to leave (userId = themselves); the service decides.
  removeMember: workspaceMember("member")
    .input(z.strictObject({ workspaceId: idSchema, userId: idSchema }))
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.workspaces.removeMember(input.workspaceId, input.userId, ctx.workspace.role, actorOf(ctx)),
    ),
  ...lifecycleProcedures,
});
