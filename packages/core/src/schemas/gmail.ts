import { z } from "zod";
import { emailSchema, idSchema, stringSchema } from "./common";

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

/** How many addresses of their own a member may name per connection. */
export const GMAIL_MAX_ALIASES = 20;

/** A connection's own settings; what is left out stays as it is. */
export const gmailUpdateSettingsInput = z.strictObject({
  workspaceId: idSchema,
  /** Addresses the owner also receives mail at (replaces the list). */
  aliases: z
    .array(emailSchema)
    .max(GMAIL_MAX_ALIASES, `at most ${GMAIL_MAX_ALIASES} addresses`)
    .refine((aliases) => new Set(aliases).size === aliases.length, "must not name an address twice")
    .optional(),
  /** A message deleted in Gmail deletes the interaction imported from it. */
  deleteWithMessages: z.boolean().optional(),
});
export type GmailUpdateSettingsInput = z.input<typeof gmailUpdateSettingsInput>;

export const gmailContactInput = z.strictObject({ workspaceId: idSchema, contactId: idSchema });
