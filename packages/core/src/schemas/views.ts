import { z } from "zod";
import { idSchema, requiredText } from "./common";
import { countContactsInput, listContactsInput } from "./contacts";

/** The columns a contacts list view (and its export) can show, in the order offered. */
export const CONTACT_LIST_COLUMNS = [
  "name",
  "email",
  "company",
  "title",
  "phone",
  "tags",
  "source",
  "created_at",
  "updated_at",
] as const;
export type ContactListColumn = (typeof CONTACT_LIST_COLUMNS)[number];

/**
 * A saved view's filters: exactly the contacts list's own filters (same rules), so a view
 * applied to the list or its export is validated once. The "Recently deleted" list is not a view.
 */
export const savedViewFilters = countContactsInput.omit({ workspaceId: true, deleted: true });
export type SavedViewFilters = z.output<typeof savedViewFilters>;

const viewFields = {
  name: requiredText(100),
  shared: z.boolean(),
  filters: savedViewFilters,
  sort: listContactsInput.shape.sort.unwrap(),
  columns: z
    .array(z.enum(CONTACT_LIST_COLUMNS))
    .min(1, "at least one column")
    .max(CONTACT_LIST_COLUMNS.length)
    .refine((columns) => new Set(columns).size === columns.length, "a column may appear only once"),
};

export const listSavedViewsInput = z.strictObject({ workspaceId: idSchema });
export const createSavedViewInput = z.strictObject({
  workspaceId: idSchema,
  ...viewFields,
  shared: viewFields.shared.default(false),
});
export type CreateSavedViewInput = z.output<typeof createSavedViewInput>;
export const updateSavedViewInput = z.strictObject({
  workspaceId: idSchema,
  viewId: idSchema,
  patch: z
    .strictObject({
      name: viewFields.name.optional(),
      shared: viewFields.shared.optional(),
      filters: viewFields.filters.optional(),
      sort: viewFields.sort.optional(),
      columns: viewFields.columns.optional(),
    })
    .refine((patch) => Object.keys(patch).length > 0, "nothing to change"),
});
export type UpdateSavedViewInput = z.output<typeof updateSavedViewInput>;
export const savedViewRefInput = z.strictObject({ workspaceId: idSchema, viewId: idSchema });
