import { useEffect, useId, useRef, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { showToast } from "../../components/toast";
import type { ContactListColumn } from "../../schemas";
import { trpc, type RouterOutputs } from "../../trpc";
import { readCurrentView, rememberCurrentView } from "./currentView";
import { EMPTY_FILTERS, SORTS, SOURCES, type ContactSort, type ListFilters } from "./listParams";

/** A saved view as the list applies it: the view's filters over empty ones. */
function filtersOfView(view: { filters: Record<string, unknown>; sort: string; columns: string[] }): ListFilters {
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  return {
    ...EMPTY_FILTERS,
    search: text(view.filters.search),
    tag: text(view.filters.tag),
    company: text(view.filters.company),
    source: SOURCES.find((option) => option.value === view.filters.source)?.value ?? "",
    sort: SORTS.find((option) => option.value === view.sort)?.value ?? ("updated" satisfies ContactSort),
    columns: view.columns as ContactListColumn[],
  };
}

/** The list's current view as a saved view's filters (empty ones left out). */
function viewFilters(filters: ListFilters) {
  const search = filters.search.trim().slice(0, 200);
  const tag = filters.tag.trim().toLowerCase().slice(0, 50);
  const company = filters.company.trim().slice(0, 200);
  return {
    ...(search ? { search } : {}),
    ...(tag ? { tag } : {}),
    ...(company ? { company } : {}),
    ...(filters.source ? { source: filters.source } : {}),
  };
}

type SavedView = RouterOutputs["views"]["list"][number];

/** Whether the list shows exactly what the view saved (filters as the view would store them). */
function showsView(current: ListFilters, view: SavedView): boolean {
  const saved = filtersOfView(view);
  return (
    JSON.stringify(viewFilters(current)) === JSON.stringify(viewFilters(saved)) &&
    current.sort === saved.sort &&
    current.columns.join(",") === saved.columns.join(",")
  );
}

/**
 * "Views" on the contacts list: apply a saved view (its filters, sort and columns become the
 * list's, and so its address), save the current one under a name (private, or shared with the
 * workspace). The view last applied or saved is the list's current one (kept across a reload of
 * the tab if the list still shows it): when the filters move away from it, it is marked modified
 * and its owner may update it with them. Only the member
 * who saved a view renames, updates, shares or deletes it (the server refuses anyone else),
 * except that an admin may delete a shared one (to tidy up after members who left).
 */
export function SavedViewsMenu({
  workspaceId,
  current,
  onApply,
  canSave = true,
  canDeleteShared = false,
}: {
  workspaceId: string;
  current: ListFilters;
  onApply(filters: ListFilters): void;
  /** False while a filter is not valid (it would be saved as it is not applied). */
  canSave?: boolean;
  /** The caller is an admin or the owner: they may delete others' shared views too. */
  canDeleteShared?: boolean;
}) {
  const id = useId();
  const utils = trpc.useUtils();
  const views = trpc.views.list.useQuery({ workspaceId });
  const [activeId, setActiveIdState] = useState<string | null>(() => readCurrentView(workspaceId));
  const setActiveId = (viewId: string | null) => {
    setActiveIdState(viewId);
    rememberCurrentView(workspaceId, viewId);
  };
  // The one kept from before a reload is current again only if the list still shows it: opened
  // without its filters (from the menu, a link), the list is not that view, modified or not.
  const restoring = useRef(activeId !== null);
  useEffect(() => {
    if (!restoring.current || !views.data) return;
    restoring.current = false;
    const kept = views.data.find((view) => view.id === activeId);
    if (!kept || !showsView(current, kept)) setActiveId(null);
  });
  // The server's answer replaces the row at once (the list needs no refetch to show it); the
  // refetch then puts a renamed view in the server's order.
  const replaced = (view: SavedView) => {
    utils.views.list.setData({ workspaceId }, (rows) => rows?.map((row) => (row.id === view.id ? view : row)));
    void utils.views.list.invalidate({ workspaceId });
  };
  const create = trpc.views.create.useMutation({
    onSuccess: (view) => {
      void utils.views.list.invalidate({ workspaceId });
      setActiveId(view.id);
      setSaving(false);
      setName("");
      setShared(false);
      showToast({ message: `Saved the view “${view.name}”.` });
    },
  });
  const rename = trpc.views.update.useMutation({
    onSuccess: (view) => {
      replaced(view);
      stopRenaming(view.id);
      showToast({ message: `Renamed the view to “${view.name}”.` });
    },
  });
  const change = trpc.views.update.useMutation({
    onSuccess: (view, { patch }) => {
      replaced(view);
      showToast({
        message:
          patch.shared === undefined
            ? `Updated the view “${view.name}” with the current filters.`
            : view.shared
              ? `Shared the view “${view.name}” with the workspace.`
              : `The view “${view.name}” is now private.`,
      });
    },
  });
  const remove = trpc.views.delete.useMutation({
    onSuccess: (_deleted, { viewId }) => {
      const view = views.data?.find((row) => row.id === viewId);
      void utils.views.list.invalidate({ workspaceId });
      if (view) showToast({ message: `Deleted the view “${view.name}”.` });
    },
  });
  const [saving, setSaving] = useState(false);
  const [name, setName] = useState("");
  const [shared, setShared] = useState(false);
  const [renamingId, setRenamingId] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const renameInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (renamingId) renameInput.current?.select();
  }, [renamingId]);
  const startRenaming = (view: SavedView) => {
    rename.reset();
    setDraft(view.name);
    setRenamingId(view.id);
  };
  // Focus goes back to the Rename button the edit replaced.
  const stopRenaming = (viewId: string) => {
    setRenamingId(null);
    requestAnimationFrame(() => document.getElementById(`${id}-rename-${viewId}`)?.focus());
  };

  const active = views.data?.find((view) => view.id === activeId);
  const modified = active !== undefined && !showsView(current, active);

  return (
    <details className="cl-views">
      <summary>
        <span>Views</span>
        {active ? (
          <span className="muted small">
            {" "}
            · {active.name}
            {modified ? " (modified)" : ""}
          </span>
        ) : null}
      </summary>
      <div className="cl-views-body">
        {views.isLoading ? (
          <p className="muted small">Loading views…</p>
        ) : views.data && views.data.length > 0 ? (
          <ul className="cl-views-list" aria-label="Saved views">
            {views.data.map((view) => (
              <li key={view.id}>
                {renamingId === view.id ? (
                  <form
                    className="cl-views-rename"
                    onSubmit={(event) => {
                      event.preventDefault();
                      // The server trims and checks the name; its message is shown below.
                      rename.mutate({ workspaceId, viewId: view.id, patch: { name: draft } });
                    }}
                  >
                    <input
                      ref={renameInput}
                      aria-label={`New name for the view ${view.name}`}
                      value={draft}
                      onChange={(event) => setDraft(event.target.value)}
                      onKeyDown={(event) => {
                        if (event.key === "Escape") {
                          // Only the edit is cancelled, not whatever else listens for Escape.
                          event.preventDefault();
                          event.stopPropagation();
                          stopRenaming(view.id);
                        }
                      }}
                    />
                    <button type="submit" className="link-button" disabled={rename.isPending}>
                      Save
                    </button>
                    <button type="button" className="link-button" onClick={() => stopRenaming(view.id)}>
                      Cancel
                    </button>
                    {rename.error ? <ErrorMessage error={rename.error} title="Could not rename the view" /> : null}
                  </form>
                ) : (
                  <>
                    <button
                      type="button"
                      className="link-button"
                      aria-current={view.id === activeId ? "true" : undefined}
                      onClick={() => {
                        setActiveId(view.id);
                        onApply(filtersOfView(view));
                      }}
                    >
                      {view.name}
                    </button>
                    {view.shared ? <span className="muted small"> · shared</span> : null}
                    {view.id === activeId && modified ? (
                      <span className="cl-views-modified small" title="The list's filters differ from this view's">
                        <span aria-hidden="true">● </span>modified
                      </span>
                    ) : null}
                    {view.mine ? (
                      <>
                        {view.id === activeId && modified ? (
                          <button
                            type="button"
                            className="link-button"
                            disabled={change.isPending || !canSave}
                            onClick={() =>
                              change.mutate({
                                workspaceId,
                                viewId: view.id,
                                patch: { filters: viewFilters(current), sort: current.sort, columns: current.columns },
                              })
                            }
                          >
                            Update view with current filters
                          </button>
                        ) : null}
                        <button
                          id={`${id}-rename-${view.id}`}
                          type="button"
                          className="link-button"
                          aria-label={`Rename the view ${view.name}`}
                          onClick={() => startRenaming(view)}
                        >
                          Rename
                        </button>
                        <button
                          type="button"
                          className="link-button"
                          aria-label={
                            view.shared
                              ? `Unshare the view ${view.name}`
                              : `Share the view ${view.name} with the workspace`
                          }
                          disabled={change.isPending}
                          onClick={() =>
                            change.mutate({ workspaceId, viewId: view.id, patch: { shared: !view.shared } })
                          }
                        >
                          {view.shared ? "Unshare" : "Share"}
                        </button>
                      </>
                    ) : null}
                    {view.mine || (view.shared && canDeleteShared) ? (
                      <button
                        type="button"
                        className="link-button"
                        aria-label={`Delete the view ${view.name}`}
                        disabled={remove.isPending}
                        onClick={() => remove.mutate({ workspaceId, viewId: view.id })}
                      >
                        Delete
                      </button>
                    ) : null}
                  </>
                )}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted small">No saved views yet.</p>
        )}
        {views.error ? <ErrorMessage error={views.error} /> : null}
        {change.error ? <ErrorMessage error={change.error} title="Could not change the view" /> : null}
        {remove.error ? <ErrorMessage error={remove.error} /> : null}
        {saving ? (
          <form
            className="cl-views-save"
            onSubmit={(event) => {
              event.preventDefault();
              create.mutate({
                workspaceId,
                name: name.trim(),
                shared,
                filters: viewFilters(current),
                sort: current.sort,
                columns: current.columns,
              });
            }}
          >
            <div className="field ct-field">
              <label htmlFor={`${id}-name`}>View name</label>
              <input
                id={`${id}-name`}
                value={name}
                maxLength={100}
                required
                onChange={(event) => setName(event.target.value)}
              />
            </div>
            <label className="checkbox">
              <input type="checkbox" checked={shared} onChange={(event) => setShared(event.target.checked)} />
              Share with the workspace
            </label>
            <button type="submit" className="button-secondary" disabled={create.isPending || !name.trim() || !canSave}>
              Save view
            </button>
            <button type="button" className="link-button" onClick={() => setSaving(false)}>
              Cancel
            </button>
            {create.error ? <ErrorMessage error={create.error} /> : null}
          </form>
        ) : (
          <button type="button" className="button-secondary" disabled={!canSave} onClick={() => setSaving(true)}>
            Save current view…
          </button>
        )}
      </div>
    </details>
  );
}
