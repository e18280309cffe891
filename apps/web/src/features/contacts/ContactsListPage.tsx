import { keepPreviousData, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import { useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { describeError } from "../../errors";
import { trpc, type WorkspaceRole } from "../../trpc";
import { holdsTagSeparator } from "../../schemas";
import { AddContactForm } from "./AddContactForm";
import type { Contact } from "./cache";
import { ContactsGrid } from "./ContactsGrid";
import { BulkByFilter, BulkJobStatus, useBulkJob } from "./BulkByFilter";
import { ContactImport } from "./ContactImport";
import { SavedViewsMenu } from "./SavedViewsMenu";
import { SearchResults } from "./SearchResults";
import { useDebounced } from "../../components/hooks";
import { useIntent } from "../shell/intents";
import {
  EMPTY_FILTERS,
  filtersFromSearch,
  listInput,
  PAGE_SIZE,
  rememberListSearch,
  searchFromFilters,
  SORTS,
  SOURCES,
  type ContactSort,
  type ListFilters,
} from "./listParams";
import { afterDelete, deleteContacts } from "./undo";
// Shell and Today: the first-run checklist stands in for "No contacts yet" in a new workspace.
import { canManage, useWorkspace } from "../shell/workspace";
import { FirstRunChecklist } from "../today/FirstRun";
import "./contacts.css";
import { Skeleton } from "../../components/Skeleton";

export interface ContactsListPageProps {
  workspaceId: string;
  role: WorkspaceRole;
}

type Panel = null | "add" | "import";

export default function ContactsListPage({ workspaceId }: ContactsListPageProps) {
  const workspace = useWorkspace();
  const id = useId();
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const search = useSearch({ from: "/w/$workspaceId/contacts" });
  const navigate = useNavigate();
  const [filters, setFilters] = useState<ListFilters>(() => filtersFromSearch(search));
  const [panel, setPanel] = useState<Panel>(null);
  const bulkJob = useBulkJob(workspaceId);
  // "Add contact" from the command palette.
  useIntent("contact.add", () => setPanel("add"));
  const addButton = useRef<HTMLButtonElement>(null);
  const importButton = useRef<HTMLButtonElement>(null);

  // Typing is debounced; the selects apply at once.
  const typed = useDebounced({ search: filters.search, tag: filters.tag, company: filters.company }, 250);
  // A tag filter holding a separator is not applied (the field says why) rather than refused.
  const applied: ListFilters = { ...filters, ...typed, ...(holdsTagSeparator(typed.tag) ? { tag: "" } : {}) };
  const input = listInput(workspaceId, applied);
  const viewKey = JSON.stringify(input);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `applied` is a new object each render; viewKey is its identity
  useEffect(() => {
    const next = searchFromFilters(applied);
    rememberListSearch(next);
    // The address follows the view (replace: typing is not a page to go Back to).
    if (JSON.stringify(next) !== JSON.stringify(searchFromFilters(filtersFromSearch(search))))
      void navigate({
        to: "/w/$workspaceId/contacts",
        params: { workspaceId },
        search: next,
        replace: true,
        resetScroll: false,
      });
  }, [viewKey, applied.columns.join(",")]);

  // Text in the search box filters the list itself (every word starts a word of the contact,
  // as in the search's word step), with the other filters and in the chosen sort: the rows
  // shown, their count, the bulk actions and the export are one set. The ranked,
  // typo-tolerant search only suggests close matches when that set is empty.
  const list = trpc.contacts.list.useInfiniteQuery(input, {
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  const { limit: _limit, sort: _sort, ...countInput } = input;
  const total = trpc.contacts.count.useQuery(countInput, { placeholderData: keepPreviousData });
  const rows = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);
  const query = input.search ?? "";
  const onlySearch = Boolean(query) && !input.tag && !input.company && !input.source;
  const noRows = !list.isPending && !list.isPlaceholderData && !list.error && rows.length === 0;
  const close = trpc.search.query.useQuery(
    { workspaceId, q: query, types: ["contact"], limit: SUGGESTION_LIMIT },
    { enabled: onlySearch && noRows, trpc: { abortOnUnmount: true } },
  );
  const suggestions = onlySearch && noRows ? (close.data?.contacts.items ?? []) : [];

  // Multi-select (id → name, for the toast and labels); cleared when the view changes.
  const [selected, setSelected] = useState<ReadonlyMap<string, string>>(new Map());
  // biome-ignore lint/correctness/useExhaustiveDependencies: the selection is cleared whenever the view changes
  useEffect(() => setSelected(new Map()), [viewKey]);
  const toggle = useCallback((contact: Contact) => {
    setSelected((current) => {
      const next = new Map(current);
      if (next.has(contact.id)) next.delete(contact.id);
      else next.set(contact.id, contact.name);
      return next;
    });
  }, []);
  const allLoadedSelected = rows.length > 0 && rows.every((row) => selected.has(row.id));
  const someSelected = selected.size > 0 && !allLoadedSelected;
  const selectAll = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (selectAll.current) selectAll.current.indeterminate = someSelected;
  }, [someSelected]);

  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const deleteSelected = async () => {
    const doomed = [...selected].map(([contactId, name]) => ({ id: contactId, name }));
    if (doomed.length === 0) return;
    setDeleting(true);
    setDeleteError(null);
    try {
      const deletedIds = new Set(
        await deleteContacts(
          utils.client,
          workspaceId,
          doomed.map((contact) => contact.id),
        ),
      );
      setSelected(new Map());
      afterDelete(
        queryClient,
        utils.client,
        workspaceId,
        doomed.filter((contact) => deletedIds.has(contact.id)),
      );
    } catch (error) {
      setDeleteError(error);
    } finally {
      setDeleting(false);
    }
  };

  const set = <K extends keyof ListFilters>(key: K, value: ListFilters[K]) =>
    setFilters((current) => ({ ...current, [key]: value }));
  const filtered = Boolean(applied.search.trim() || applied.tag.trim() || applied.company.trim() || applied.source);
  const closePanel = (which: Exclude<Panel, null>) => {
    setPanel(null);
    requestAnimationFrame(() => (which === "add" ? addButton : importButton).current?.focus());
  };

  const { fetchNextPage: fetchMore } = list;
  const fetchNextPage = useCallback(() => void fetchMore(), [fetchMore]);
  const notFound = describeError(list.error).code === "NOT_FOUND" && rows.length === 0;
  const updating = list.isFetching && list.isPlaceholderData;
  const totalText = total.data ? countText(total.data, filtered) : null;
  const liveText =
    list.isPending || updating
      ? "Updating the list…"
      : totalText
        ? `List updated: ${totalText}.`
        : listSummary(list.data?.pages.length ?? 0, rows.length, list.hasNextPage, filtered);

  return (
    <div className="ct-page cl-page">
      <div className="ct-page-head">
        <h1>Contacts</h1>
        <div className="ct-head-actions">
          {panel !== "add" && (
            <button ref={addButton} type="button" onClick={() => setPanel("add")}>
              Add contact
            </button>
          )}
          {panel !== "import" && (
            <button ref={importButton} type="button" className="button-secondary" onClick={() => setPanel("import")}>
              Import
            </button>
          )}
          <Link className="ct-head-link" to="/w/$workspaceId/contacts/duplicates" params={{ workspaceId }}>
            Duplicates
          </Link>
          <Link className="ct-head-link" to="/w/$workspaceId/contacts/deleted" params={{ workspaceId }}>
            Recently deleted
          </Link>
        </div>
      </div>

      {panel === "add" && <AddContactForm workspaceId={workspaceId} onClose={() => closePanel("add")} />}
      {panel === "import" && <ContactImport workspaceId={workspaceId} onClose={() => closePanel("import")} />}

      <form
        className="cl-filters"
        role="search"
        aria-label="Filter contacts"
        onSubmit={(event) => event.preventDefault()}
      >
        <div className="field cl-search">
          <label htmlFor={`${id}-search`}>Search contacts</label>
          <input
            id={`${id}-search`}
            type="search"
            placeholder="Name, email, company, phone, tag…"
            maxLength={200}
            autoComplete="off"
            value={filters.search}
            onChange={(event) => set("search", event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-tag`}>Tag filter</label>
          <input
            id={`${id}-tag`}
            maxLength={50}
            autoComplete="off"
            value={filters.tag}
            aria-invalid={holdsTagSeparator(filters.tag) || undefined}
            aria-describedby={holdsTagSeparator(filters.tag) ? `${id}-tag-error` : undefined}
            onChange={(event) => set("tag", event.target.value)}
          />
          {holdsTagSeparator(filters.tag) ? (
            <p id={`${id}-tag-error`} className="field-error">
              One tag: "," and ";" separate tags.
            </p>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor={`${id}-company`}>Employer</label>
          <input
            id={`${id}-company`}
            maxLength={200}
            autoComplete="off"
            placeholder="Exact name"
            value={filters.company}
            onChange={(event) => set("company", event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-source`}>Source</label>
          <select
            id={`${id}-source`}
            value={filters.source}
            onChange={(event) => set("source", event.target.value as ListFilters["source"])}
          >
            <option value="">Any source</option>
            {SOURCES.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-sort`}>Sort by</label>
          <select
            id={`${id}-sort`}
            value={filters.sort}
            onChange={(event) => set("sort", event.target.value as ContactSort)}
          >
            {SORTS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
        {filtered && (
          <button
            type="button"
            className="button-secondary cl-clear"
            onClick={() => setFilters({ ...EMPTY_FILTERS, sort: filters.sort, columns: filters.columns })}
          >
            Clear filters
          </button>
        )}
      </form>
      <SavedViewsMenu
        workspaceId={workspaceId}
        // What the fields show, not the debounced filters: a view just applied is not
        // "modified" while its text filters wait out the debounce.
        current={filters}
        onApply={setFilters}
        canSave={!holdsTagSeparator(filters.tag)}
        canDeleteShared={canManage(workspace.role)}
      />

      <p className="visually-hidden" aria-live="polite">
        {liveText}
      </p>

      {notFound ? (
        <ErrorMessage error={list.error}>
          <p>This workspace does not exist or you are not a member.</p>
        </ErrorMessage>
      ) : list.isPending ? (
        <Skeleton shape="list" rows={8} label="Loading contacts…" />
      ) : list.error && rows.length === 0 ? (
        <ErrorMessage error={list.error}>
          <button type="button" className="button-secondary" onClick={() => void list.refetch()}>
            Try again
          </button>
        </ErrorMessage>
      ) : rows.length === 0 ? (
        <div className="card cl-empty">
          {filtered ? (
            <>
              <p>{onlySearch ? `No contacts match “${query}”.` : "No contacts match these filters."}</p>
              {suggestions.length > 0 && (
                <>
                  <p className="muted small">Close matches (typos, words inside words):</p>
                  <SearchResults workspaceId={workspaceId} hits={suggestions} />
                </>
              )}
              <button
                type="button"
                className="button-secondary"
                onClick={() => setFilters({ ...EMPTY_FILTERS, sort: filters.sort, columns: filters.columns })}
              >
                Clear filters
              </button>
            </>
          ) : (
            <FirstRunChecklist
              workspace={workspace}
              compact
              otherwise={
                <>
                  <p>No contacts yet.</p>
                  <p className="muted">Add your first contact or import a CSV file.</p>
                </>
              }
            />
          )}
        </div>
      ) : (
        <>
          <div className="cl-bulkbar">
            <label className="cl-select-all">
              <input
                ref={selectAll}
                type="checkbox"
                checked={allLoadedSelected}
                onChange={() =>
                  setSelected(allLoadedSelected ? new Map() : new Map(rows.map((row) => [row.id, row.name])))
                }
              />
              Select all loaded ({rows.length.toLocaleString()})
            </label>
            <span className="cl-selected-count muted">
              {selected.size > 0 ? `${selected.size.toLocaleString()} selected` : ""}
            </span>
            <button
              type="button"
              className="button-danger"
              disabled={selected.size === 0 || deleting}
              onClick={() => void deleteSelected()}
            >
              {deleting ? "Deleting…" : "Delete selected"}
            </button>
            {selected.size > 0 && (
              <button type="button" className="link-button" onClick={() => setSelected(new Map())}>
                Clear selection
              </button>
            )}
            <span className="cl-count muted small">
              {totalText ??
                `${rows.length.toLocaleString()}${list.hasNextPage ? "+" : ""} contact${rows.length === 1 && !list.hasNextPage ? "" : "s"}`}
              {updating ? " · updating…" : ""}
            </span>
          </div>
          {deleteError ? <ErrorMessage error={deleteError} /> : null}
          {/* Not while the tag filter is invalid: it is not applied, and bulk actions and the
              export would act on every contact the list shows instead. */}
          {total.data && total.data.count > 0 && !holdsTagSeparator(filters.tag) && (
            <BulkByFilter
              workspaceId={workspaceId}
              filter={{
                tag: countInput.tag,
                company: countInput.company,
                source: countInput.source,
                search: countInput.search,
              }}
              sort={applied.sort}
              matching={total.data}
              columns={applied.columns}
              onColumnsChange={(columns) => set("columns", columns)}
              job={bulkJob}
            />
          )}
          <BulkJobStatus job={bulkJob} />
          <ContactsGrid
            workspaceId={workspaceId}
            rows={rows}
            sort={applied.sort}
            viewKey={viewKey}
            hasNextPage={list.hasNextPage}
            isFetchingNextPage={list.isFetchingNextPage}
            nextPageFailed={list.isFetchNextPageError}
            fetchNextPage={fetchNextPage}
            selected={selected}
            onToggle={toggle}
            onSort={(sort) => set("sort", sort)}
          />
        </>
      )}
    </div>
  );
}

/** Close matches suggested when the search box's words match no contact. */
const SUGGESTION_LIMIT = 10;

/** "1,234 contacts", "10,000+ contacts", "3 matches". */
function countText({ count, exact }: { count: number; exact: boolean }, filtered: boolean): string {
  const noun = filtered ? (count === 1 && exact ? "match" : "matches") : count === 1 && exact ? "contact" : "contacts";
  return `${count.toLocaleString()}${exact ? "" : "+"} ${noun}`;
}

function listSummary(pages: number, rows: number, hasMore: boolean, filtered: boolean): string {
  if (rows === 0) return filtered ? "List updated: no matches." : "List updated: no contacts.";
  // Only the first page decides the summary, so scrolling does not re-announce it.
  if (pages > 1 || hasMore) return `List updated: more than ${PAGE_SIZE} ${filtered ? "matches" : "contacts"}.`;
  return `List updated: ${rows} ${filtered ? (rows === 1 ? "match" : "matches") : rows === 1 ? "contact" : "contacts"}.`;
}
