import { z } from "zod";
import { idSchema, pageFields, trimmedString } from "../../lib/schemas";
import { router, workspaceMember } from "../../trpc";

export const auditRouter = router({
  list: workspaceMember("admin")
    .input(
      z.strictObject({
        workspaceId: idSchema,
        action: trimmedString(100).nullish(),
        actorId: idSchema.nullish(),
        ...pageFields,
      }),
    )
    .query(({ ctx, input }) => ctx.runtime.services.audit.list(input)),
});
