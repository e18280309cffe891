import { z } from "zod";
import { idSchema, stringSchema } from "../../lib/schemas";

export const workspaceInput = z.strictObject({ workspaceId: idSchema });

export const deleteKeyInput = z.strictObject({
  workspaceId: idSchema,
  /** A logical key as cache.keys lists it, e.g. rec:{workspaceId}:{generation}:{contactId}:20 */
  key: stringSchema.trim().min(1).max(300),
});

export const warmupInput = z.strictObject({
  workspaceId: idSchema,
  /** How many of the most active contacts to precompute. */
  limit: z.number().int().min(1).max(10_000).default(100),
  /** Wait (up to 2 minutes) for the job to finish instead of returning at once. */
  wait: z.boolean().default(false),
});

export const warmupStatusInput = z.strictObject({
  workspaceId: idSchema,
  jobId: stringSchema.trim().min(1).max(200),
});
