import { z } from "zod";
import { idSchema } from "./common";

/** Dollars with at most two decimals. */
const money = (max: number) =>
  z
    .number()
    .min(0, "must not be negative")
    .max(max, `must be at most ${max}`)
    .refine((value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-6, "at most two decimals (cents)");

export const setValuesInput = z
  .strictObject({
    workspaceId: idSchema,
    /** Dollars per interaction of each type; omitted types keep their value. */
    values: z
      .strictObject({
        email: money(1_000_000).optional(),
        meeting: money(1_000_000).optional(),
        call: money(1_000_000).optional(),
        linkedin: money(1_000_000).optional(),
        note: money(1_000_000).optional(),
      })
      .optional(),
    /** CLV bucket thresholds in dollars: low < medium ≤ CLV < high ≤ CLV. */
    thresholds: z
      .strictObject({ medium: money(1_000_000_000).optional(), high: money(1_000_000_000).optional() })
      .optional(),
    /** Back to the defaults (then `values` / `thresholds` apply on top). */
    reset: z.boolean().default(false),
  })
  .refine((input) => input.reset || input.values || input.thresholds, "give values, thresholds or reset");
export type SetValuesInput = z.output<typeof setValuesInput>;
