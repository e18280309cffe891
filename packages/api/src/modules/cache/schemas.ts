import { z } from "zod";
import { idSchema, pageFields, stringSchema } from "../../lib/schemas";

export const workspaceInput = z.strictObject({ workspaceId: idSchema });

export const deleteKeyInput = z.strictObject({
  workspaceId: idSchema,
  /** A logical key as cache.keys lists it, e.g. rec:{workspaceId}:{generation}:{contactId}:20 */
  key: stringSchema.trim().min(1).max(300),
});

/** Longer than any logical key needs; bounds the matching work per key. */
const MAX_KEY_PATTERN_LENGTH = 128;

export const keysInput = z.strictObject({
  workspaceId: idSchema,
  /** Glob over logical keys: `*` any run, `?` one character (matched in linear time, see matchesGlob). */
  pattern: stringSchema.trim().min(1).max(MAX_KEY_PATTERN_LENGTH).default("*"),
  /** From the previous page's nextCursor (a Redis SCAN cursor). */
  cursor: stringSchema.regex(/^\d{1,20}$/, "cursor: from a previous page").nullish(),
  limit: z.number().int().min(1).max(500).default(100),
  /** Sent by @trpc/react-query's useInfiniteQuery; SCAN only pages forward. */
  direction: pageFields.direction,
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
