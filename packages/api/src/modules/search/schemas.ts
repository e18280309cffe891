import { z } from "zod";
import { idSchema, requiredText } from "../../lib/schemas";

const SEARCH_TYPES = ["contact", "interaction"] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

const querySchema = requiredText(200);

export const searchQueryInput = z.strictObject({
  workspaceId: idSchema,
  q: querySchema,
  /** Which kinds of record to search (default: all). */
  types: z
    .array(z.enum(SEARCH_TYPES))
    .min(1)
    .max(SEARCH_TYPES.length)
    .transform((types) => [...new Set(types)])
    .optional(),
  /** Results per type. */
  limit: z.number().int().min(1).max(50).default(10),
});
export type SearchQueryInput = z.output<typeof searchQueryInput>;

export const searchSuggestInput = z.strictObject({
  workspaceId: idSchema,
  q: querySchema,
  limit: z.number().int().min(1).max(10).default(6),
});
export type SearchSuggestInput = z.output<typeof searchSuggestInput>;
