import { z } from "zod";
import { idSchema } from "../../lib/schemas";
import { DEFAULT_K } from "./service";

export const forContactInput = z.strictObject({
  workspaceId: idSchema,
  contactId: idSchema,
  k: z.number().int().min(1, "k must be at least 1").max(100, "k must be at most 100").default(DEFAULT_K),
  /** Also list contacts the person already knows (direct interactions above the threshold). */
  includeKnown: z.boolean().default(false),
});
