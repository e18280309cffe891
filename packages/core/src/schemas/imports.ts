import { z } from "zod";
import { idSchema, requiredText } from "./common";
import { contactFields, splitTags, tagsSchema } from "./contacts";

/**
 * Contact imports (CSV/XLSX): the fields a column can map to, how headers are guessed,
 * how one row becomes a contact with a message per bad cell, and the procedures' inputs.
 */

/** Rows a file may have (the header row not counted). */
export const IMPORT_MAX_ROWS = 100_000;

export const IMPORT_FIELDS = ["name", "firstName", "lastName", "email", "company", "title", "phone", "tags"] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

export const IMPORT_FIELD_LABELS: Record<ImportField, string> = {
  name: "Name",
  firstName: "First name",
  lastName: "Last name",
  email: "Email",
  company: "Company",
  title: "Title",
  phone: "Phone",
  tags: "Tags",
};

/** Column i of the file → the field it fills, or null (ignored). */
export type ImportMapping = (ImportField | null)[];

/** Header spellings seen in CRM, Google and Outlook exports, compared as lower-case letters and digits only. */
const HEADER_GUESSES: Record<string, ImportField> = {
  name: "name",
  fullname: "name",
  displayname: "name",
  contact: "name",
  contactname: "name",
  firstname: "firstName",
  givenname: "firstName",
  first: "firstName",
  lastname: "lastName",
  familyname: "lastName",
  surname: "lastName",
  last: "lastName",
  email: "email",
  emailaddress: "email",
  mail: "email",
  email1value: "email",
  primaryemail: "email",
  emailaddress1: "email",
  company: "company",
  companyname: "company",
  organization: "company",
  organisation: "company",
  organization1name: "company",
  employer: "company",
  account: "company",
  accountname: "company",
  title: "title",
  jobtitle: "title",
  position: "title",
  role: "title",
  organization1title: "title",
  phone: "phone",
  phonenumber: "phone",
  telephone: "phone",
  mobile: "phone",
  mobilephone: "phone",
  businessphone: "phone",
  phone1value: "phone",
  tags: "tags",
  tag: "tags",
  labels: "tags",
  groupmembership: "tags",
  categories: "tags",
};

export function headerKey(header: string): string {
  return header.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Each field to the first column whose header names it; everything else ignored. */
export function guessMapping(headers: string[], template?: Record<string, ImportField>): ImportMapping {
  const taken = new Set<ImportField>();
  return headers.map((header) => {
    const field = template ? (template[headerKey(header)] ?? null) : (HEADER_GUESSES[headerKey(header)] ?? null);
    if (!field || taken.has(field)) return null;
    taken.add(field);
    return field;
  });
}

/** Why a mapping cannot be used, or null. */
export function mappingProblem(mapping: ImportMapping): string | null {
  const seen = new Set<ImportField>();
  for (const field of mapping) {
    if (!field) continue;
    if (seen.has(field)) return `"${IMPORT_FIELD_LABELS[field]}" is mapped to more than one column`;
    seen.add(field);
  }
  if (!seen.has("name") && !seen.has("firstName") && !seen.has("lastName"))
    return "map a column to Name (or to First name / Last name)";
  if (seen.has("name") && (seen.has("firstName") || seen.has("lastName")))
    return "map either Name or First name / Last name, not both";
  return null;
}

/** One row as the import writes it; a field the mapping leaves out is undefined (never written). */
export interface ImportedContact {
  name: string;
  email?: string | null;
  company?: string | null;
  title?: string | null;
  phone?: string | null;
  tags?: string[];
}

export interface ImportCellProblem {
  field: ImportField;
  message: string;
}

const FIELD_SCHEMAS = {
  name: contactFields.name,
  email: contactFields.email,
  company: contactFields.company,
  title: contactFields.title,
  phone: contactFields.phone,
  tags: tagsSchema,
} as const;

/**
 * One row of cells through the same rules as the contact form: the contact, or every bad
 * cell with its message (a row is imported whole or not at all).
 */
export function readImportRow(
  cells: readonly string[],
  mapping: ImportMapping,
): { contact: ImportedContact; problems: null } | { contact: null; problems: ImportCellProblem[] } {
  const problems: ImportCellProblem[] = [];
  const contact: Partial<ImportedContact> = {};
  let first = "";
  let last = "";
  let nameCell: string | undefined;
  let nameField: ImportField = "name";
  for (let i = 0; i < mapping.length; i++) {
    const field = mapping[i];
    if (!field) continue;
    const cell = cells[i] ?? "";
    if (field === "firstName") {
      first = cell.trim();
      nameField = "firstName";
      continue;
    }
    if (field === "lastName") {
      last = cell.trim();
      if (!first) nameField = "lastName";
      continue;
    }
    if (field === "name") {
      nameCell = cell;
      continue;
    }
    const result =
      field === "tags"
        ? FIELD_SCHEMAS.tags.safeParse(splitTags(cell))
        : FIELD_SCHEMAS[field].safeParse(field === "email" && cell.trim() === "" ? null : cell);
    if (result.success) (contact as Record<string, unknown>)[field] = result.data ?? null;
    else problems.push({ field, message: result.error.issues[0]?.message ?? "is invalid" });
  }
  const name = FIELD_SCHEMAS.name.safeParse(nameCell ?? [first, last].filter(Boolean).join(" "));
  if (name.success) contact.name = name.data;
  else problems.push({ field: nameField, message: name.error.issues[0]?.message ?? "is invalid" });
  return problems.length > 0 ? { contact: null, problems } : { contact: contact as ImportedContact, problems: null };
}

const mappingSchema = z
  .array(z.enum(IMPORT_FIELDS).nullable())
  .max(500, "at most 500 columns")
  .superRefine((mapping, ctx) => {
    const problem = mappingProblem(mapping);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** What happens to rows with a bad cell: skipped and reported, or the whole import refused. */
export const IMPORT_BAD_ROWS = ["skip", "abort"] as const;
/** A row whose email is already a contact's: fill that contact's empty fields, overwrite them, or skip the row. */
export const IMPORT_EXISTING = ["fill", "overwrite", "skip"] as const;

const importRef = { workspaceId: idSchema, importId: idSchema };

export const importRefInput = z.strictObject(importRef);

export const importPreviewInput = z.strictObject({
  ...importRef,
  /** Omitted: guessed from the headers (or from `templateId`'s mapping). */
  mapping: z.array(z.enum(IMPORT_FIELDS).nullable()).max(500, "at most 500 columns").optional(),
  templateId: idSchema.optional(),
});

export const importStartInput = z.strictObject({
  ...importRef,
  mapping: mappingSchema,
  badRows: z.enum(IMPORT_BAD_ROWS),
  existing: z.enum(IMPORT_EXISTING),
});
export type ImportOptions = Omit<z.output<typeof importStartInput>, "workspaceId" | "importId">;

export const importTemplateSaveInput = z.strictObject({
  workspaceId: idSchema,
  name: requiredText(100),
  /** The file's headers and the field each maps to (null: ignored); stored by header. */
  headers: z.array(requiredText(200)).min(1).max(500),
  mapping: mappingSchema,
});

export const importTemplateRefInput = z.strictObject({ workspaceId: idSchema, templateId: idSchema });
export const importTemplateListInput = z.strictObject({ workspaceId: idSchema });
