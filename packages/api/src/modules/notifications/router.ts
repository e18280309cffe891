import { NOTIFICATION_KINDS } from "@rapport/core";
import { z } from "zod";
import { idSchema, pageFields } from "../../lib/schemas";
import { authed, router } from "../../trpc";

const preferencesInput = z.strictObject(
  Object.fromEntries(NOTIFICATION_KINDS.map((kind) => [kind, z.boolean().optional()])) as Record<
    (typeof NOTIFICATION_KINDS)[number],
    z.ZodOptional<z.ZodBoolean>
  >,
);

/** The caller's own notifications, across their workspaces. */
export const notificationsRouter = router({
  list: authed
    .input(z.strictObject({ unreadOnly: z.boolean().optional(), ...pageFields }))
    .query(({ ctx, input }) => ctx.runtime.services.notifications.list(ctx.user.userId, input)),
  unreadCount: authed.query(({ ctx }) => ctx.runtime.services.notifications.unreadCount(ctx.user.userId)),
  markRead: authed
    .input(z.strictObject({ ids: z.array(idSchema).min(1).max(200) }))
    .mutation(({ ctx, input }) => ctx.runtime.services.notifications.markRead(ctx.user.userId, input.ids)),
  markAllRead: authed.mutation(({ ctx }) => ctx.runtime.services.notifications.markAllRead(ctx.user.userId)),
  /** Which kinds notify the caller (their choices over the defaults). */
  preferences: authed.query(({ ctx }) => ctx.runtime.services.notifications.preferences(ctx.user.userId)),
  updatePreferences: authed
    .input(z.strictObject({ preferences: preferencesInput }))
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.notifications.updatePreferences(ctx.user.userId, input.preferences),
    ),
});
