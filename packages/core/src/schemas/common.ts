import { z } from "zod";
import { EMAIL_MAX_LENGTH, isValidEmail, normalizeEmail } from "../email";

/**
 * The one string every input field is built from. PostgreSQL text cannot hold
 * NUL (U+0000): such a value fails inside the database (SQLSTATE 22021) after
 * the request was accepted, so it is refused here, with the field's name.
 */
export const stringSchema = z.string().refine((value) => !value.includes("\u0000"), "must not contain NUL characters");

/** Trimmed text of at most `max` characters (may be empty). */
export const trimmedString = (max: number) => stringSchema.trim().max(max, `must be at most ${max} characters`);

/** Required, trimmed, non-empty text of bounded length. */
export const requiredText = (max: number) => trimmedString(max).min(1, "must not be empty");

/** Trimmed, lower-cased, validated address. */
export const emailSchema = stringSchema
  .max(EMAIL_MAX_LENGTH + 64, `must be at most ${EMAIL_MAX_LENGTH} characters`)
  .transform(normalizeEmail)
  .refine((email) => email.length <= EMAIL_MAX_LENGTH, `must be at most ${EMAIL_MAX_LENGTH} characters`)
  .refine(isValidEmail, "must be a valid email address");

/**
 * A UUID in its canonical lower-case form. Postgres compares uuids regardless of
 * case, but caches, Redis keys and event payloads compare strings: one id must
 * have one spelling everywhere.
 */
export const idSchema = z.uuid("must be a UUID").transform((id) => id.toLowerCase());

/** Optional text: empty or whitespace-only becomes null. */
export const optionalText = (max: number) =>
  trimmedString(max)
    .transform((value) => (value.length === 0 ? null : value))
    .nullish();

const DATE_EARLIEST = new Date("1900-01-01T00:00:00Z");
const DATE_LATEST = new Date("2200-01-01T00:00:00Z");

/**
 * The one point-in-time input: a Date (the wire revives ISO strings under date
 * keys) or an ISO 8601 date-time with `Z` or an offset, between 1900 and 2200.
 * Nothing is coerced: `null`, booleans and numbers are refused rather than
 * silently read as 1 January 1970, and years PostgreSQL cannot store never
 * reach it. Modules narrow the range further where the domain needs it.
 */
export const dateSchema = z
  .union(
    [
      z.date("must be a date-time"),
      z.iso
        .datetime({ offset: true, message: "must be an ISO 8601 date-time with Z or an offset" })
        .transform((value) => new Date(value)),
    ],
    "must be a date-time (ISO 8601 with Z or an offset)",
  )
  .refine(
    (date) => date.getTime() >= DATE_EARLIEST.getTime() && date.getTime() < DATE_LATEST.getTime(),
    "must be between 1900 and 2200",
  );

const pageLimitSchema = z.number().int().min(1).max(200).default(50);
const cursorSchema = stringSchema.max(512).nullish();

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

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone such as Europe/Berlin (calendar days are counted in it). */
export const timeZoneSchema = stringSchema
  .max(64)
  .regex(/^[A-Za-z0-9_+\-/]+$/, "must be an IANA time zone such as Europe/Berlin")
  .refine(isTimeZone, "unknown time zone");
