import { useVirtualizer, type Range } from "@tanstack/react-virtual";
import {
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type MouseEvent,
} from "react";
import { Link, useNavigate } from "@tanstack/react-router";
import type { Contact } from "./cache";
import { dateFormat } from "../../components/time";
import { useMediaQuery } from "./hooks";
import type { ContactSort } from "./listParams";

/** Rows kept in the DOM at least (so the first 50 contacts paint at once); the rest is virtual. */
const MIN_RENDERED = 50;
const OVERSCAN = 10;
/** Start fetching the next page this many rows before the end. */
const PREFETCH_ROWS = 30;
const WIDE_ROW = 48;
const NARROW_ROW = 76;
const WIDE_LAST_COL = 6;
const NARROW_LAST_COL = 3;

function rangeExtractor(range: Range): number[] {
  if (range.count === 0) return [];
  const start = Math.max(0, range.startIndex - range.overscan);
  const end = Math.min(range.count - 1, Math.max(range.endIndex + range.overscan, start + MIN_RENDERED - 1));
  const indexes: number[] = [];
  for (let index = start; index <= end; index++) indexes.push(index);
  return indexes;
}

type SortColumn = "name" | "email" | "company" | "updated" | "created";

/** Each column's first direction: text A–Z, dates newest first. */
const FIRST_DESCENDING: Record<SortColumn, boolean> = {
  name: false,
  email: false,
  company: false,
  updated: true,
  created: true,
};

/** The column and direction of a sort ("name_desc" → name, descending). */
function sortParts(sort: ContactSort): { column: SortColumn; descending: boolean } {
  const [column, suffix] = sort.split("_") as [SortColumn, string | undefined];
  return { column, descending: suffix ? suffix === "desc" : FIRST_DESCENDING[column] };
}

/**
 * A sortable column heading: a click sorts by the column in its first direction, and
 * reverses the direction when the list is already sorted by it; aria-sort says which.
 */
function SortHeading({
  className,
  column,
  label,
  sort,
  onSort,
}: {
  className: string;
  column: SortColumn;
  label: string;
  sort: ContactSort;
  onSort: (sort: ContactSort) => void;
}) {
  const current = sortParts(sort);
  const active = current.column === column;
  const descending = active ? current.descending : FIRST_DESCENDING[column];
  const next = active ? !descending : FIRST_DESCENDING[column];
  const nextSort = (next === FIRST_DESCENDING[column] ? column : `${column}_${next ? "desc" : "asc"}`) as ContactSort;
  const words = column === "updated" || column === "created" ? ["oldest first", "newest first"] : ["A–Z", "Z–A"];
  return (
    <div
      role="columnheader"
      className={className}
      aria-sort={active ? (descending ? "descending" : "ascending") : undefined}
    >
      <button
        type="button"
        className="cl-sort"
        tabIndex={-1}
        title={`Sort by ${label.toLowerCase()} (${words[next ? 1 : 0]})`}
        onClick={() => onSort(nextSort)}
      >
        {label}
        {active ? <span aria-hidden="true">{descending ? " ▼" : " ▲"}</span> : null}
      </button>
    </div>
  );
}

/** Scroll position per list view, restored when coming back from a contact. */
const savedScroll = new Map<string, number>();

export interface ContactsGridProps {
  workspaceId: string;
  rows: Contact[];
  sort: ContactSort;
  /** Changes with the filters: the grid scrolls back to the top. */
  viewKey: string;
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  nextPageFailed: boolean;
  fetchNextPage: () => void;
  selected: ReadonlyMap<string, string>;
  onToggle: (contact: Contact) => void;
  /** Sorts by a column when its heading is clicked. */
  onSort: (sort: ContactSort) => void;
}

/**
 * The virtualized contacts grid (role="grid"): one tab stop, arrow keys move
 * between cells, Home/End and Ctrl+Home/End jump, PageUp/PageDown scroll,
 * Enter opens the contact, Space toggles its selection.
 */
export function ContactsGrid({
  workspaceId,
  rows,
  sort,
  viewKey,
  hasNextPage,
  isFetchingNextPage,
  nextPageFailed,
  fetchNextPage,
  selected,
  onToggle,
  onSort,
}: ContactsGridProps) {
  const narrow = useMediaQuery("(max-width: 640px)");
  const rowHeight = narrow ? NARROW_ROW : WIDE_ROW;
  const lastCol = narrow ? NARROW_LAST_COL : WIDE_LAST_COL;
  const scrollRef = useRef<HTMLDivElement>(null);
  const gridRef = useRef<HTMLDivElement>(null);
  const showMoreRow = hasNextPage || nextPageFailed;

  const virtualizer = useVirtualizer({
    count: rows.length + (showMoreRow ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: OVERSCAN,
    rangeExtractor,
    initialRect: { width: 1024, height: 720 },
    initialOffset: () => savedScroll.get(viewKey) ?? 0,
    getItemKey: (index) => rows[index]?.id ?? "more",
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: rows are re-measured when their height changes
  useEffect(() => {
    virtualizer.measure();
  }, [virtualizer, rowHeight]);

  // Remember where the person was, for Back from a contact.
  useEffect(() => {
    return () => {
      savedScroll.set(viewKey, virtualizer.scrollOffset ?? 0);
    };
  }, [virtualizer, viewKey]);

  // New filters: back to the top.
  const firstView = useRef(viewKey);
  useEffect(() => {
    if (firstView.current === viewKey) return;
    firstView.current = viewKey;
    virtualizer.scrollToOffset(0);
    setActive({ row: 0, col: 1 });
  }, [virtualizer, viewKey]);

  const items = virtualizer.getVirtualItems();
  const lastRendered = items.length > 0 ? items[items.length - 1]!.index : 0;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && !nextPageFailed && lastRendered >= rows.length - PREFETCH_ROWS)
      fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, nextPageFailed, lastRendered, rows.length, fetchNextPage]);

  // Roving focus: exactly one cell is tabbable.
  const [active, setActive] = useState({ row: 0, col: 1 });
  const pendingFocus = useRef<string | null>(null);
  const activeRow = Math.max(0, Math.min(active.row, rows.length - 1));
  const activeCol = Math.min(active.col, lastCol);
  const renderedRows = items.filter((item) => item.index < rows.length);
  const tabRow = renderedRows.some((item) => item.index === activeRow) ? activeRow : (renderedRows[0]?.index ?? 0);

  useLayoutEffect(() => {
    if (!pendingFocus.current) return;
    const cell = gridRef.current?.querySelector<HTMLElement>(`[data-cell="${pendingFocus.current}"]`);
    if (cell) {
      pendingFocus.current = null;
      cell.focus();
    }
  });

  const navigate = useNavigate();
  const open = useCallback(
    (contact: Contact) =>
      void navigate({ to: "/w/$workspaceId/contacts/$contactId", params: { workspaceId, contactId: contact.id } }),
    [workspaceId, navigate],
  );

  const moveTo = (row: number, col: number) => {
    const nextRow = Math.max(0, Math.min(row, rows.length - 1));
    const nextCol = Math.max(0, Math.min(col, lastCol));
    setActive({ row: nextRow, col: nextCol });
    pendingFocus.current = `${nextRow}:${nextCol}`;
    virtualizer.scrollToIndex(nextRow, { align: "auto" });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const target = event.target as HTMLElement;
    const cell = target.dataset.cell;
    if (!cell || event.altKey) return;
    const [row, col] = cell.split(":").map(Number) as [number, number];
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 480) / rowHeight) - 1);
    const ctrl = event.ctrlKey || event.metaKey;
    switch (event.key) {
      case "ArrowDown":
        moveTo(row + 1, col);
        break;
      case "ArrowUp":
        moveTo(row - 1, col);
        break;
      case "ArrowRight":
        moveTo(row, col + 1);
        break;
      case "ArrowLeft":
        moveTo(row, col - 1);
        break;
      case "Home":
        moveTo(ctrl ? 0 : row, ctrl ? col : 0);
        break;
      case "End":
        moveTo(ctrl ? rows.length - 1 : row, ctrl ? col : lastCol);
        break;
      case "PageDown":
        moveTo(row + page, col);
        break;
      case "PageUp":
        moveTo(row - page, col);
        break;
      case "Enter":
        if (rows[row]) open(rows[row]!);
        break;
      case " ":
        if (target instanceof HTMLInputElement) return; // the checkbox toggles itself
        if (rows[row]) onToggle(rows[row]!);
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  const onFocus = (event: { target: EventTarget }) => {
    const cell = (event.target as HTMLElement).dataset?.cell;
    if (!cell) return;
    const [row, col] = cell.split(":").map(Number) as [number, number];
    if (row !== active.row || col !== active.col) setActive({ row, col });
  };

  const dateLabel = sort.startsWith("created") ? "Added" : "Updated";
  return (
    <div
      ref={gridRef}
      role="grid"
      aria-label="Contacts"
      aria-rowcount={hasNextPage ? -1 : rows.length + 1}
      aria-colcount={lastCol + 1}
      aria-multiselectable="true"
      className="cl-grid"
      onKeyDown={onKeyDown}
      onFocus={onFocus}
    >
      <div role="rowgroup" className="cl-head">
        <div role="row" aria-rowindex={1} className="cl-row cl-row-head">
          <div role="columnheader" className="c-select">
            <span className="visually-hidden">Selected</span>
          </div>
          <SortHeading className="c-name" column="name" label="Name" sort={sort} onSort={onSort} />
          <SortHeading className="c-email" column="email" label="Email" sort={sort} onSort={onSort} />
          <SortHeading className="c-company" column="company" label="Company" sort={sort} onSort={onSort} />
          <div role="columnheader" className="c-title">
            Title
          </div>
          <div role="columnheader" className="c-tags">
            Tags
          </div>
          <SortHeading
            className="c-date"
            column={sort.startsWith("created") ? "created" : "updated"}
            label={dateLabel}
            sort={sort}
            onSort={onSort}
          />
        </div>
      </div>
      <div role="rowgroup" ref={scrollRef} className="cl-body">
        <div className="cl-sizer" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const contact = rows[item.index];
            if (!contact) {
              return (
                <div
                  key={item.key as string}
                  role="row"
                  aria-rowindex={item.index + 2}
                  className="cl-row cl-row-more"
                  style={{ transform: `translateY(${item.start}px)`, height: item.size }}
                >
                  <div role="gridcell" aria-colspan={lastCol + 1} className="c-more">
                    {nextPageFailed ? (
                      <>
                        Could not load more contacts.{" "}
                        <button type="button" className="link-button" onClick={fetchNextPage}>
                          Try again
                        </button>
                      </>
                    ) : (
                      "Loading more contacts…"
                    )}
                  </div>
                </div>
              );
            }
            return (
              <GridRow
                key={contact.id}
                contact={contact}
                index={item.index}
                top={item.start}
                height={item.size}
                workspaceId={workspaceId}
                isSelected={selected.has(contact.id)}
                tabCol={item.index === tabRow ? activeCol : -1}
                dateField={sort.startsWith("created") ? "createdAt" : "updatedAt"}
                onToggle={onToggle}
                onOpen={open}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

interface GridRowProps {
  contact: Contact;
  index: number;
  top: number;
  height: number;
  workspaceId: string;
  isSelected: boolean;
  /** The column whose cell is tabbable in this row, or -1. */
  tabCol: number;
  dateField: "createdAt" | "updatedAt";
  onToggle: (contact: Contact) => void;
  onOpen: (contact: Contact) => void;
}

const GridRow = memo(function GridRow({
  contact,
  index,
  top,
  height,
  workspaceId,
  isSelected,
  tabCol,
  dateField,
  onToggle,
  onOpen,
}: GridRowProps) {
  const cellProps = (col: number) => ({ "data-cell": `${index}:${col}`, tabIndex: tabCol === col ? 0 : -1 });
  const onClick = (event: MouseEvent<HTMLDivElement>) => {
    if ((event.target as HTMLElement).closest("a, input, button, label")) return;
    if (window.getSelection()?.toString()) return; // selecting text, not opening
    onOpen(contact);
  };
  const date = contact[dateField];
  const tags = contact.tags;
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={isSelected}
      className={`cl-row${isSelected ? " is-selected" : ""}`}
      style={{ transform: `translateY(${top}px)`, height }}
      onClick={onClick}
    >
      <div role="gridcell" className="c-select">
        <input
          type="checkbox"
          aria-label={`Select ${contact.name}`}
          checked={isSelected}
          onChange={() => onToggle(contact)}
          {...cellProps(0)}
        />
      </div>
      <div role="rowheader" className="c-name">
        <Link
          to="/w/$workspaceId/contacts/$contactId"
          params={{ workspaceId, contactId: contact.id }}
          {...cellProps(1)}
        >
          {contact.name}
        </Link>
      </div>
      <div role="gridcell" className="c-email" {...cellProps(2)}>
        {contact.email ?? <Empty />}
      </div>
      <div role="gridcell" className="c-company" {...cellProps(3)}>
        {contact.company ?? <Empty />}
      </div>
      <div role="gridcell" className="c-title" {...cellProps(4)}>
        {contact.title ?? <Empty />}
      </div>
      <div role="gridcell" className="c-tags" {...cellProps(5)}>
        {tags.length === 0 ? (
          <Empty />
        ) : (
          <>
            {tags.slice(0, 3).map((tag) => (
              <span key={tag} className="ct-chip">
                {tag}
              </span>
            ))}
            {tags.length > 3 && <span className="ct-more-tags">+{tags.length - 3}</span>}
          </>
        )}
      </div>
      <div role="gridcell" className="c-date" {...cellProps(6)}>
        <time dateTime={date.toISOString()}>{dateFormat.format(date)}</time>
      </div>
    </div>
  );
});

function Empty() {
  return (
    <>
      <span aria-hidden="true" className="muted">
        —
      </span>
      <span className="visually-hidden">none</span>
    </>
  );
}
