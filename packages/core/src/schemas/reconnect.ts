import { z } from "zod";
import { KEEP_IN_TOUCH_MAX_DAYS, KEEP_IN_TOUCH_PRESETS } from "../reconnect/index";
import { dateSchema, idSchema } from "./common";

export const MAX_SNOOZE_DAYS = 366;

export const reconnectListInput = z.strictObject({
  workspaceId: idSchema,
  limit: z.int().min(1).max(100).default(10),
});
export type ReconnectListInput = z.output<typeof reconnectListInput>;

/** A preset ("every month") or a custom number of days; null clears it (the learned cadence applies again). */
export const keepInTouchSchema = z.union([
  z.strictObject({ every: z.enum(Object.keys(KEEP_IN_TOUCH_PRESETS) as [keyof typeof KEEP_IN_TOUCH_PRESETS]) }),
  z.strictObject({
    every: z.literal("custom"),
    days: z
      .int()
      .min(1, "must be at least 1 day")
      .max(KEEP_IN_TOUCH_MAX_DAYS, `must be at most ${KEEP_IN_TOUCH_MAX_DAYS} days`),
  }),
]);
export type KeepInTouch = z.output<typeof keepInTouchSchema>;

export const setKeepInTouchInput = z.strictObject({
  workspaceId: idSchema,
  contactId: idSchema,
  keepInTouch: keepInTouchSchema.nullable(),
});
export type SetKeepInTouchInput = z.output<typeof setKeepInTouchInput>;

export const snoozeReconnectInput = z.strictObject({
  workspaceId: idSchema,
  contactId: idSchema,
  /** In the future and at most MAX_SNOOZE_DAYS ahead, checked against the server's clock. */
  until: dateSchema,
});
export type SnoozeReconnectInput = z.output<typeof snoozeReconnectInput>;

export const reconnectContactInput = z.strictObject({ workspaceId: idSchema, contactId: idSchema });
export type ReconnectContactInput = z.output<typeof reconnectContactInput>;

export function keepInTouchDays(keepInTouch: KeepInTouch): number {
  return keepInTouch.every === "custom" ? keepInTouch.days : KEEP_IN_TOUCH_PRESETS[keepInTouch.every];
}
