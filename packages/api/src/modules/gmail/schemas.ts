import { z } from "zod";
import { idSchema, stringSchema } from "../../lib/schemas";
import { MAX_EMAILS_LIMIT, MAX_FREQUENCY_MIN, MIN_FREQUENCY_MIN } from "./service";

export const workspaceInput = z.strictObject({ workspaceId: idSchema });

export const completeOAuthInput = z.strictObject({
  workspaceId: idSchema,
  // Google's authorization codes are ~70 characters; the state is ours (signed claims).
  code: stringSchema.min(1, "required").max(2_048),
  state: stringSchema.min(1, "required").max(1_000),
});

export const syncNowInput = z.strictObject({
  workspaceId: idSchema,
  maxEmails: z
    .number()
    .int("must be a whole number")
    .min(1, "at least 1")
    .max(MAX_EMAILS_LIMIT, `at most ${MAX_EMAILS_LIMIT}`)
    .optional(),
});

export const setFrequencyInput = z.strictObject({
  workspaceId: idSchema,
  minutes: z
    .number()
    .int("must be a whole number")
    .min(MIN_FREQUENCY_MIN, `at least ${MIN_FREQUENCY_MIN} minutes`)
    .max(MAX_FREQUENCY_MIN, "at most once a day"),
});

export const contactInput = z.strictObject({ workspaceId: idSchema, contactId: idSchema });
