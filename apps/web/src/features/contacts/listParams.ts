import type { RouterInputs } from "../../trpc";

/**
 * The list's filters live in the query string (?q=&tag=&company=&source=&sort=)
 * so Back from a contact returns to the same view. Shared by the list page and
 * by index.ts, which prefetches the first page while the list chunk loads.
 */
export type ContactSort = NonNullable<RouterInputs["contacts"]["list"]["sort"]>;
export type ContactSource = NonNullable<RouterInputs["contacts"]["list"]["source"]>;
export const SORTS: { value: ContactSort; label: string }[] = [
  { value: "updated", label: "Recently updated" },
  { value: "name", label: "Name (A–Z)" },
  { value: "created", label: "Recently added" },
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
}

export const EMPTY_FILTERS: ListFilters = { search: "", tag: "", company: "", source: "", sort: "updated" };

/** Rows per contacts.list call. */
export const PAGE_SIZE = 100;

export type ContactListInput = Omit<RouterInputs["contacts"]["list"], "cursor" | "direction">;

export function filtersFromSearch(search: string): ListFilters {
  const params = new URLSearchParams(search);
  const sort = params.get("sort");
  const source = params.get("source");
  return {
    search: params.get("q") ?? "",
    tag: params.get("tag") ?? "",
    company: params.get("company") ?? "",
    source: SOURCES.some((option) => option.value === source) ? (source as ContactSource) : "",
    sort: SORTS.some((option) => option.value === sort) ? (sort as ContactSort) : "updated",
  };
}

export function searchFromFilters(filters: ListFilters): string {
  const params = new URLSearchParams();
  if (filters.search.trim()) params.set("q", filters.search.trim());
  if (filters.tag.trim()) params.set("tag", filters.tag.trim());
  if (filters.company.trim()) params.set("company", filters.company.trim());
  if (filters.source) params.set("source", filters.source);
  if (filters.sort !== "updated") params.set("sort", filters.sort);
  const text = params.toString();
  return text ? `?${text}` : "";
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

export const paths = {
  list: (workspaceId: string, search = "") => `/w/${workspaceId}/contacts${search}`,
  deleted: (workspaceId: string) => `/w/${workspaceId}/contacts/deleted`,
  contact: (workspaceId: string, contactId: string) => `/w/${workspaceId}/contacts/${contactId}`,
};

/** The list view last shown, so "← Contacts" on a contact page returns to it. */
let lastListSearch = "";
export function rememberListSearch(search: string) {
  lastListSearch = search;
}
export function listHref(workspaceId: string) {
  return paths.list(workspaceId, lastListSearch);
}
