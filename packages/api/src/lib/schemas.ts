import { EMAIL_MAX_LENGTH, isValidEmail, normalizeEmail } from "@rapport/core";
import { z } from "zod";

/** Trimmed, lower-cased, validated address. */
export const emailSchema = z
  .string()
  .max(EMAIL_MAX_LENGTH + 64, `must be at most ${EMAIL_MAX_LENGTH} characters`)
  .transform(normalizeEmail)
  .refine((email) => email.length <= EMAIL_MAX_LENGTH, `must be at most ${EMAIL_MAX_LENGTH} characters`)
  .refine(isValidEmail, "must be a valid email address");

export const idSchema = z.uuid("must be a UUID");

/** Required, trimmed, non-empty text of bounded length. */
export const requiredText = (max: number) =>
  z.string().trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);

/** Optional text: empty or whitespace-only becomes null. */
export const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .transform((value) => (value.length === 0 ? null : value))
    .nullish();

export const pageLimitSchema = z.number().int().min(1).max(200).default(50);
export const cursorSchema = z.string().max(512).nullish();

/**
 * Keyset pagination input shared by every list. `direction` is sent by
 * @trpc/react-query's useInfiniteQuery; only forward paging exists, so it is
 * accepted and ignored.
 */
export const pageFields = {
  cursor: cursorSchema,
  limit: pageLimitSchema,
  direction: z.enum(["forward", "backward"]).optional(),
};
