import { z } from "zod";
import { cursorSchema, idSchema, pageLimitSchema } from "../../lib/schemas";
import { router, workspaceMember } from "../../trpc";

export const auditRouter = router({
  list: workspaceMember("admin")
    .input(
      z.strictObject({
        workspaceId: idSchema,
        action: z.string().trim().max(100).nullish(),
        actorId: idSchema.nullish(),
        cursor: cursorSchema,
        limit: pageLimitSchema,
      }),
    )
    .query(({ ctx, input }) => ctx.runtime.services.audit.list(input)),
});
