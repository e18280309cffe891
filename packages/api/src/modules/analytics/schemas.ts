import { ANALYTICS_DAY_MS, TOP_CONTACT_SORTS, TOP_CONTACTS_MAX } from "@rapport/core";
import { z } from "zod";
import { dateSchema, idSchema, timeZoneSchema } from "../../lib/schemas";

const EARLIEST = new Date("1970-01-01T00:00:00Z");
const LATEST = new Date("2100-01-01T00:00:00Z");

/** A point in time (the wire revives `asOf`, `from`, `to` as Dates; ISO strings are accepted too). */
const instant = dateSchema.refine((d) => d >= EARLIEST && d < LATEST, "must be between 1970 and 2100");

/** Omitted = now (rounded up to the minute, so requests in the same minute share the cached answer). */
const asOfSchema = instant.optional();

const sortBySchema = z.enum(TOP_CONTACT_SORTS).default("clv");

export const analyticsInput = z.strictObject({ workspaceId: idSchema, asOf: asOfSchema });

export const contactRelationshipInput = z.strictObject({
  workspaceId: idSchema,
  contactId: idSchema,
  asOf: asOfSchema,
});

export const metricsInput = z.strictObject({
  workspaceId: idSchema,
  asOf: asOfSchema,
  /** Order and size of `topContacts` in the answer. */
  sortBy: sortBySchema,
  limit: z.number().int().min(1).max(TOP_CONTACTS_MAX).default(10),
});

const MAX_BUCKETS = 400;

export const timeseriesInput = z
  .strictObject({
    workspaceId: idSchema,
    /** Inclusive; default: `to` − 30 days. */
    from: instant.optional(),
    /** Exclusive; default: now rounded up to the minute. */
    to: instant.optional(),
    bucket: z.enum(["day", "week"]).default("day"),
    /** IANA zone the calendar days and weeks (Monday) are counted in. */
    timeZone: timeZoneSchema.default("UTC"),
  })
  .refine((input) => !input.from || !input.to || input.from < input.to, {
    message: "from must be before to",
    path: ["from"],
  })
  .refine(
    (input) => {
      if (!input.from || !input.to) return true;
      const bucketMs = (input.bucket === "day" ? 1 : 7) * ANALYTICS_DAY_MS;
      return (input.to.getTime() - input.from.getTime()) / bucketMs <= MAX_BUCKETS;
    },
    { message: `at most ${MAX_BUCKETS} buckets (days or weeks)`, path: ["from"] },
  );
export type TimeseriesInput = z.output<typeof timeseriesInput>;

const EXPORT_FORMATS = ["csv", "xlsx"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const exportInput = z.strictObject({
  workspaceId: idSchema,
  format: z.enum(EXPORT_FORMATS).default("csv"),
  sortBy: sortBySchema,
  asOf: asOfSchema,
});
export type ExportInput = z.output<typeof exportInput>;
