/**
 * What a merge of two contacts keeps. Apart from detection (index.ts) so the web app's schemas
 * can name the fields without loading the phone-number metadata.
 */

/** The fields a merge chooses one side's value for; tags are always the union. */
export const MERGE_FIELDS = ["name", "email", "company", "title", "phone"] as const;
export type MergeField = (typeof MERGE_FIELDS)[number];
export type MergeSide = "survivor" | "merged";

export interface MergeableContact {
  name: string;
  email: string | null;
  company: string | null;
  title: string | null;
  phone: string | null;
  tags: string[];
}

export interface MergePlan {
  /** The survivor's values after the merge. */
  values: MergeableContact;
  /** Which side each field's value comes from. */
  sides: Record<MergeField, MergeSide>;
  /** The survivor's fields the merge changes (tags included). */
  changed: (MergeField | "tags")[];
}

/**
 * The survivor's values after merging `merged` into it: each field from the side chosen,
 * by default the survivor's unless it is empty; tags are the union of both, sorted.
 */
export function planMerge(
  survivor: MergeableContact,
  merged: MergeableContact,
  choices: Partial<Record<MergeField, MergeSide>> = {},
): MergePlan {
  const sides = {} as Record<MergeField, MergeSide>;
  const values = { ...survivor, tags: [...new Set([...survivor.tags, ...merged.tags])].sort() };
  const changed: (MergeField | "tags")[] = [];
  for (const field of MERGE_FIELDS) {
    const side = choices[field] ?? (isEmpty(survivor[field]) && !isEmpty(merged[field]) ? "merged" : "survivor");
    sides[field] = side;
    const value = side === "merged" ? merged[field] : survivor[field];
    if (field === "name") values.name = value ?? survivor.name;
    else values[field] = value;
    if (values[field] !== survivor[field]) changed.push(field);
  }
  if (values.tags.join("\u0000") !== [...survivor.tags].sort().join("\u0000")) changed.push("tags");
  return { values, sides, changed };
}

function isEmpty(value: string | null): boolean {
  return value === null || value.trim() === "";
}

/** How long a merge can be undone. */
export const MERGE_UNDO_DAYS = 30;
