import { tracked } from "@trpc/server";
import { z } from "zod";
import { toTRPCError } from "../../errors";
import { DOMAIN_EVENT_TYPES } from "../../platform/events/types";
import { mapPushStream } from "../../platform/push-stream";
import { idSchema, pageFields } from "../../lib/schemas";
import { router, workspaceMember } from "../../trpc";
import { isLiveEventId } from "./live-feed";

export const activityRouter = router({
  list: workspaceMember("member")
    .input(
      z.strictObject({
        workspaceId: idSchema,
        types: z.array(z.enum(DOMAIN_EVENT_TYPES)).max(DOMAIN_EVENT_TYPES.length).optional(),
        ...pageFields,
      }),
    )
    .query(({ ctx, input }) => ctx.runtime.services.activity.list({ ...input, role: ctx.workspace.role })),

  /**
   * The workspace's events as they commit, over SSE. Each event is `tracked` with an id that
   * says what the stream has sent (its outbox id, or a commit position and the ids sent past
   * it): a reconnecting client sends it back as `lastEventId` (tRPC does this itself) and
   * receives exactly what it missed, in commit order, from any instance. The first
   * message says whether that worked (`resumed: false`: beyond the replay window, refetch).
   */
  live: workspaceMember("member")
    .input(
      z.strictObject({
        workspaceId: idSchema,
        types: z.array(z.enum(DOMAIN_EVENT_TYPES)).max(DOMAIN_EVENT_TYPES.length).optional(),
        lastEventId: z.string().max(1_100).refine(isLiveEventId, "must be an event id").nullish(),
      }),
    )
    .subscription(({ ctx, input, signal }) =>
      // Errors come after the error-mapping middleware saw the stream start: mapped here.
      mapPushStream(
        ctx.runtime.services.liveFeed.stream({
          workspaceId: input.workspaceId,
          userId: ctx.user.userId,
          sessionId: ctx.user.sessionId,
          role: ctx.workspace.role,
          tokenExpiresAtMs: ctx.user.expiresAtMs,
          types: input.types,
          lastEventId: input.lastEventId,
          signal,
          dropConnection: ctx.dropConnection,
        }),
        (item) => (item.id ? tracked(item.id, item.message) : item.message),
        toTRPCError,
      ),
    ),
});
