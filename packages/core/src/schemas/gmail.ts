import { z } from "zod";
import { idSchema, stringSchema } from "./common";

/** Sync frequency bounds: no more often than every 5 minutes, at least once a day. */
export const GMAIL_MIN_FREQUENCY_MIN = 5;
export const GMAIL_MAX_FREQUENCY_MIN = 1_440;
/** The deepest import a connection may ask for. */
export const GMAIL_MAX_EMAILS_LIMIT = 10_000;

export const gmailWorkspaceInput = z.strictObject({ workspaceId: idSchema });

export const gmailCompleteOAuthInput = z.strictObject({
  workspaceId: idSchema,
  // Google's authorization codes are ~70 characters; the state is ours (signed claims).
  code: stringSchema.min(1, "required").max(2_048),
  state: stringSchema.min(1, "required").max(1_000),
});

export const gmailSyncNowInput = z.strictObject({
  workspaceId: idSchema,
  maxEmails: z
    .number()
    .int("must be a whole number")
    .min(1, "at least 1")
    .max(GMAIL_MAX_EMAILS_LIMIT, `at most ${GMAIL_MAX_EMAILS_LIMIT}`)
    .optional(),
});

export const gmailSetFrequencyInput = z.strictObject({
  workspaceId: idSchema,
  minutes: z
    .number()
    .int("must be a whole number")
    .min(GMAIL_MIN_FREQUENCY_MIN, `at least ${GMAIL_MIN_FREQUENCY_MIN} minutes`)
    .max(GMAIL_MAX_FREQUENCY_MIN, "at most once a day"),
});
export type GmailSetFrequencyInput = z.input<typeof gmailSetFrequencyInput>;

export const gmailContactInput = z.strictObject({ workspaceId: idSchema, contactId: idSchema });
