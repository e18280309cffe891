import { z } from "zod";
import { DOMAIN_EVENT_TYPES } from "../../events/types";
import { cursorSchema, idSchema, pageLimitSchema } from "../../lib/schemas";
import { router, workspaceMember } from "../../trpc";

export const activityRouter = router({
  list: workspaceMember("member")
    .input(
      z.strictObject({
        workspaceId: idSchema,
        types: z.array(z.enum(DOMAIN_EVENT_TYPES)).max(DOMAIN_EVENT_TYPES.length).optional(),
        cursor: cursorSchema,
        limit: pageLimitSchema,
      }),
    )
    .query(({ ctx, input }) => ctx.runtime.services.activity.list(input)),
});
