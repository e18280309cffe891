import { z } from "zod";
import { MERGE_FIELDS } from "../duplicates/merge";
import { emailSchema, idSchema, optionalText, pageFields, requiredText, trimmedString } from "./common";

const workspaceOnly = { workspaceId: idSchema };

/** Starts a scan of the workspace for likely duplicates (a job with progress). */
export const scanDuplicatesInput = z.strictObject(workspaceOnly);

/** The likely duplicate pairs of the last scan, best first. */
export const listDuplicatesInput = z.strictObject({
  ...workspaceOnly,
  ...pageFields,
  limit: z.number().int().min(1).max(100).default(25),
});

/** The contact form's fields as typed so far: which existing contacts they probably are. */
export const checkDuplicatesInput = z.strictObject({
  ...workspaceOnly,
  name: requiredText(200),
  email: emailSchema.nullish(),
  company: optionalText(200),
  phone: trimmedString(40).nullish(),
});

/** Two contacts, in either order. */
const pairIds = z.tuple([idSchema, idSchema]).refine(([a, b]) => a !== b, "must be two different contacts");

/** "Not the same person": the pair is not proposed again. */
export const dismissDuplicateInput = z.strictObject({ ...workspaceOnly, contactIds: pairIds });

const mergeSide = z.enum(["survivor", "merged"]);

/** Which side each field of the merged contact comes from (default: the survivor's unless empty). */
const mergeChoices = z
  .strictObject(
    Object.fromEntries(MERGE_FIELDS.map((field) => [field, mergeSide.optional()])) as Record<
      (typeof MERGE_FIELDS)[number],
      z.ZodOptional<typeof mergeSide>
    >,
  )
  .optional();

export const mergeContactsInput = z
  .strictObject({
    ...workspaceOnly,
    /** The contact that stays (its id, timeline and links). */
    survivorId: idSchema,
    /** The contact merged into it (its row goes; everything it is linked to moves). */
    mergedId: idSchema,
    choices: mergeChoices,
  })
  .refine((input) => input.survivorId !== input.mergedId, {
    message: "must be two different contacts",
    path: ["mergedId"],
  });
export type MergeContactsInput = z.output<typeof mergeContactsInput>;

export const undoMergeInput = z.strictObject({ ...workspaceOnly, mergeId: idSchema });

/** The workspace's merges that can still be undone, newest first. */
export const listMergesInput = z.strictObject({
  ...workspaceOnly,
  limit: z.number().int().min(1).max(100).default(20),
});
