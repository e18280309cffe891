import { z } from "zod";
import { idSchema, pageFields, stringSchema } from "./common";

/** Longer than any logical key needs; bounds the matching work per key. */
const MAX_KEY_PATTERN_LENGTH = 128;

/** cache.keys: the workspace's logical keys matching a glob, a page at a time. */
export const cacheKeysInput = z.strictObject({
  workspaceId: idSchema,
  /** Glob over logical keys: `*` any run, `?` one character (matched in linear time, see matchesGlob). */
  pattern: stringSchema
    .trim()
    .min(1, "must not be empty")
    .max(MAX_KEY_PATTERN_LENGTH, `must be at most ${MAX_KEY_PATTERN_LENGTH} characters`)
    .default("*"),
  /** From the previous page's nextCursor (a Redis SCAN cursor). */
  cursor: stringSchema.regex(/^\d{1,20}$/, "cursor: from a previous page").nullish(),
  limit: z.number().int().min(1).max(500).default(100),
  /** Sent by @trpc/react-query's useInfiniteQuery; SCAN only pages forward. */
  direction: pageFields.direction,
});
