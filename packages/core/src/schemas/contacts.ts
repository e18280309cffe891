import { z } from "zod";
import { CONTACT_SOURCES } from "../contacts";
import { dateSchema, emailSchema, idSchema, optionalText, pageFields, requiredText, trimmedString } from "./common";

const MAX_TAGS = 50;
const BULK_MAX = 1_000;

/**
 * The tag separator everywhere: the form, the import and the exports write and read ",".
 * ";" (what imports took before) is still read, in the form and in files, so old files
 * keep working; a tag can therefore contain neither (a tag written with one would come
 * back from its export as two).
 */
export const TAG_SEPARATOR = ",";
const TAG_SPLIT = /[,;]/;

/** Whether `text` holds a tag separator: a field taking one tag refuses it, as the tag schema does. */
export function holdsTagSeparator(text: string): boolean {
  return TAG_SPLIT.test(text);
}

/** "a, b;c" → ["a", "b", "c"] (empty pieces dropped). */
export function splitTags(text: string): string[] {
  return text
    .split(TAG_SPLIT)
    .map((tag) => tag.trim())
    .filter(Boolean);
}

export const tagSchema = requiredText(50)
  .refine((tag) => !TAG_SPLIT.test(tag), 'must not contain "," or ";" (they separate tags)')
  .transform((tag) => tag.toLowerCase());

export const tagsSchema = z
  .array(tagSchema)
  .max(MAX_TAGS, `at most ${MAX_TAGS} tags`)
  .transform((tags) => [...new Set(tags)].sort());

const phoneSchema = trimmedString(40)
  .regex(/^[+()\d\s.\-/x]*$/i, "may contain only digits, spaces and + ( ) . - / x")
  .transform((value) => (value.length === 0 ? null : value))
  .nullish();

/** Fields a person can set on a contact (create, update, import). */
export const contactFields = {
  email: emailSchema.nullish(),
  name: requiredText(200),
  company: optionalText(200),
  title: optionalText(200),
  phone: phoneSchema,
  tags: tagsSchema.optional(),
};

const newContactSchema = z.strictObject({
  ...contactFields,
  source: z.enum(CONTACT_SOURCES).default("manual"),
});
export type NewContact = z.output<typeof newContactSchema>;

export const createContactInput = newContactSchema.extend({ workspaceId: idSchema });

export const updateContactInput = z.strictObject({
  workspaceId: idSchema,
  contactId: idSchema,
  patch: z
    .strictObject({
      email: contactFields.email,
      name: contactFields.name.optional(),
      company: contactFields.company,
      title: contactFields.title,
      phone: contactFields.phone,
      tags: contactFields.tags,
    })
    .refine((patch) => Object.keys(patch).length > 0, "patch must change at least one field"),
});
export type ContactPatch = z.output<typeof updateContactInput>["patch"];

export const contactRefInput = z.strictObject({ workspaceId: idSchema, contactId: idSchema });

export const getContactInput = contactRefInput.extend({ includeDeleted: z.boolean().default(false) });

/**
 * The list's orders: a column and a direction. The plain names are each column's first
 * direction (name, email, company A–Z; dates newest first), `_desc`/`_asc` the other.
 * Empty emails and companies come last either way.
 */
export const CONTACT_SORTS = [
  "name",
  "name_desc",
  "email",
  "email_desc",
  "company",
  "company_desc",
  "updated",
  "updated_asc",
  "created",
  "created_asc",
] as const;

export const listContactsInput = z.strictObject({
  workspaceId: idSchema,
  ...pageFields,
  sort: z.enum(CONTACT_SORTS).default("updated"),
  tag: tagSchema.optional(),
  company: requiredText(200).optional(),
  source: z.enum(CONTACT_SOURCES).optional(),
  updatedSince: dateSchema.optional(),
  /**
   * Every word of it starts a word of the contact (name, email, company, title, phone,
   * tags), case and accents aside: the search box's word rule.
   */
  search: requiredText(200).optional(),
  /** The "Recently deleted" view: soft-deleted contacts still restorable. */
  deleted: z.boolean().default(false),
});
export type ListContactsInput = z.output<typeof listContactsInput>;

/** Counts above this are shown as "10,000+". */
export const CONTACT_COUNT_BOUND = 10_000;

/** The list's filters, counted (exactly up to CONTACT_COUNT_BOUND). */
export const countContactsInput = listContactsInput.omit({
  cursor: true,
  limit: true,
  direction: true,
  sort: true,
  updatedSince: true,
});
export type CountContactsInput = z.output<typeof countContactsInput>;

export const bulkCreateInput = z.strictObject({
  workspaceId: idSchema,
  contacts: z
    .array(newContactSchema)
    .min(1, "at least one contact")
    .max(BULK_MAX, `at most ${BULK_MAX} contacts per call`),
});

/** What a bulk operation does to every contact a filter selects. */
export const CONTACT_BULK_ACTIONS = ["tag", "untag", "delete", "restore"] as const;

/**
 * A bulk operation on "all N contacts matching this filter" (the list's filters, not the
 * rows on screen): tag/untag need `tag`; delete acts on live contacts, restore on deleted ones.
 */
export const contactBulkInput = z
  .strictObject({
    workspaceId: idSchema,
    filter: countContactsInput.omit({ workspaceId: true }).extend({
      /**
       * Deleted at exactly this instant: with restore, the contacts one bulk delete removed
       * (every contact it deletes gets the instant it answered as `deletedAt`).
       */
      deletedAt: dateSchema.optional(),
    }),
    /** Only count what the filter selects (the exact number the action would act on); change nothing. */
    dryRun: z.boolean().default(false),
    action: z.enum(CONTACT_BULK_ACTIONS),
    tag: tagSchema.optional(),
  })
  .superRefine((input, ctx) => {
    if ((input.action === "tag" || input.action === "untag") && !input.tag)
      ctx.addIssue({ code: "custom", path: ["tag"], message: "is required to tag or untag" });
    if (input.action === "delete" && input.filter.deleted)
      ctx.addIssue({ code: "custom", path: ["filter", "deleted"], message: "delete acts on live contacts" });
    if (input.action === "restore" && !input.filter.deleted)
      ctx.addIssue({ code: "custom", path: ["filter", "deleted"], message: "restore acts on deleted contacts" });
  });
export type ContactBulkInput = z.output<typeof contactBulkInput>;
