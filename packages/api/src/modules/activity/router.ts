import { z } from "zod";
import { DOMAIN_EVENT_TYPES } from "../../platform/events/types";
import { idSchema, pageFields } from "../../lib/schemas";
import { router, workspaceMember } from "../../trpc";

export const activityRouter = router({
  list: workspaceMember("member")
    .input(
      z.strictObject({
        workspaceId: idSchema,
        types: z.array(z.enum(DOMAIN_EVENT_TYPES)).max(DOMAIN_EVENT_TYPES.length).optional(),
        ...pageFields,
      }),
    )
    .query(({ ctx, input }) => ctx.runtime.services.activity.list(input)),
});
