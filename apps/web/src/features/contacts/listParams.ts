import type { ContactListColumn } from "../../schemas";
import type { RouterInputs } from "../../trpc";

/**
 * The list's filters live in the query string (?q=&tag=&company=&source=&sort=&cols=)
 * so Back from a contact returns to the same view. Shared by the list page and
 * by index.ts, which prefetches the first page while the list chunk loads.
 */
export type ContactSort = NonNullable<RouterInputs["contacts"]["list"]["sort"]>;
export type ContactSource = NonNullable<RouterInputs["contacts"]["list"]["source"]>;
export const SORTS: { value: ContactSort; label: string }[] = [
  { value: "updated", label: "Recently updated" },
  { value: "updated_asc", label: "Least recently updated" },
  { value: "name", label: "Name (A–Z)" },
  { value: "name_desc", label: "Name (Z–A)" },
  { value: "email", label: "Email (A–Z)" },
  { value: "email_desc", label: "Email (Z–A)" },
  { value: "company", label: "Company (A–Z)" },
  { value: "company_desc", label: "Company (Z–A)" },
  { value: "created", label: "Recently added" },
  { value: "created_asc", label: "First added" },
];
export const SOURCES: { value: ContactSource; label: string }[] = [
  { value: "manual", label: "Added by hand" },
  { value: "import", label: "CSV import" },
  { value: "gmail", label: "Gmail" },
];

export interface ListFilters {
  search: string;
  tag: string;
  company: string;
  source: ContactSource | "";
  sort: ContactSort;
  /** The columns the list's export (and a saved view) uses, in order. */
  columns: ContactListColumn[];
}

const DEFAULT_COLUMNS: ContactListColumn[] = ["name", "email", "company", "title", "phone", "tags"];

export const EMPTY_FILTERS: ListFilters = {
  search: "",
  tag: "",
  company: "",
  source: "",
  sort: "updated",
  columns: DEFAULT_COLUMNS,
};

/** Rows per contacts.list call. */
export const PAGE_SIZE = 100;

export type ContactListInput = Omit<RouterInputs["contacts"]["list"], "cursor" | "direction">;

/** The list's query string, validated by its route: values that are not allowed are dropped. */
export interface ContactsSearch {
  q?: string;
  tag?: string;
  company?: string;
  source?: ContactSource;
  sort?: ContactSort;
  /** Comma-separated columns, left out when they are the default ones. */
  cols?: string;
}

/**
 * Every column, checked complete by its type. Not the shared schemas' list: this module is
 * loaded with the router, before the chunk that builds the schemas (and zod's jitless setting).
 */
const KNOWN_COLUMNS: Record<ContactListColumn, true> = {
  name: true,
  email: true,
  company: true,
  title: true,
  phone: true,
  tags: true,
  source: true,
  created_at: true,
  updated_at: true,
};

/** Known columns of a comma list, once each, in the order given. */
function parseColumns(value: unknown): ContactListColumn[] {
  if (typeof value !== "string") return [];
  return [...new Set(value.split(","))].filter((column): column is ContactListColumn =>
    Object.hasOwn(KNOWN_COLUMNS, column),
  );
}

const sameColumns = (a: readonly string[], b: readonly string[]) => a.join(",") === b.join(",");

function colsParam(columns: ContactListColumn[]): string | undefined {
  return columns.length > 0 && !sameColumns(columns, DEFAULT_COLUMNS) ? columns.join(",") : undefined;
}

const text = (value: unknown) => (typeof value === "string" && value.trim() ? value : undefined);

export function validateContactsSearch(raw: Record<string, unknown>): ContactsSearch {
  const source = SOURCES.find((option) => option.value === raw.source)?.value;
  const sort = SORTS.find((option) => option.value === raw.sort && option.value !== "updated")?.value;
  return {
    q: text(raw.q),
    tag: text(raw.tag),
    company: text(raw.company),
    source,
    sort,
    cols: colsParam(parseColumns(raw.cols)),
  };
}

export function filtersFromSearch(search: ContactsSearch): ListFilters {
  return {
    search: search.q ?? "",
    tag: search.tag ?? "",
    company: search.company ?? "",
    source: search.source ?? "",
    sort: search.sort ?? "updated",
    columns: search.cols ? parseColumns(search.cols) : DEFAULT_COLUMNS,
  };
}

/** The query string of a view (defaults left out, so the plain list is plain /contacts). */
export function searchFromFilters(filters: ListFilters): ContactsSearch {
  return {
    q: filters.search.trim() || undefined,
    tag: filters.tag.trim() || undefined,
    company: filters.company.trim() || undefined,
    source: filters.source || undefined,
    sort: filters.sort !== "updated" ? filters.sort : undefined,
    cols: colsParam(filters.columns),
  };
}

/** The exact contacts.list input for a view; the same object shape makes the same query key. */
export function listInput(workspaceId: string, filters: ListFilters): ContactListInput {
  const input: ContactListInput = { workspaceId, limit: PAGE_SIZE, sort: filters.sort, deleted: false };
  const search = filters.search.trim().slice(0, 200);
  const tag = filters.tag.trim().toLowerCase().slice(0, 50);
  const company = filters.company.trim().slice(0, 200);
  if (search) input.search = search;
  if (tag) input.tag = tag;
  if (company) input.company = company;
  if (filters.source) input.source = filters.source;
  return input;
}

export function deletedListInput(workspaceId: string): ContactListInput {
  return { workspaceId, limit: 50, sort: "updated", deleted: true };
}

const TIMELINE_PAGE_SIZE = 25;

export function timelineInput(workspaceId: string, contactId: string) {
  return { workspaceId, contactId, limit: TIMELINE_PAGE_SIZE };
}

/** The list view last shown, so "← Contacts" on a contact page returns to it. */
let listSearch: ContactsSearch = {};
export function rememberListSearch(search: ContactsSearch) {
  listSearch = search;
}
export function lastListSearch(): ContactsSearch {
  return listSearch;
}
