import { useId, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { showToast } from "../../components/toast";
import type { ContactListColumn } from "../../schemas";
import { trpc } from "../../trpc";
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

/**
 * "Views" on the contacts list: apply a saved view (its filters, sort and columns become the
 * list's, and so its address), save the current one under a name (private, or shared with the
 * workspace), delete one's own.
 */
export function SavedViewsMenu({
  workspaceId,
  current,
  onApply,
  canSave = true,
}: {
  workspaceId: string;
  current: ListFilters;
  onApply(filters: ListFilters): void;
  /** False while a filter is not valid (it would be saved as it is not applied). */
  canSave?: boolean;
}) {
  const id = useId();
  const utils = trpc.useUtils();
  const views = trpc.views.list.useQuery({ workspaceId });
  const create = trpc.views.create.useMutation({
    onSuccess: (view) => {
      void utils.views.list.invalidate({ workspaceId });
      setSaving(false);
      setName("");
      setShared(false);
      showToast({ message: `Saved the view “${view.name}”.` });
    },
  });
  const remove = trpc.views.delete.useMutation({
    onSuccess: () => void utils.views.list.invalidate({ workspaceId }),
  });
  const [saving, setSaving] = useState(false);
  const [name, setName] = useState("");
  const [shared, setShared] = useState(false);

  return (
    <details className="cl-views">
      <summary>Views</summary>
      <div className="cl-views-body">
        {views.isLoading ? (
          <p className="muted small">Loading views…</p>
        ) : views.data && views.data.length > 0 ? (
          <ul className="cl-views-list" aria-label="Saved views">
            {views.data.map((view) => (
              <li key={view.id}>
                <button type="button" className="link-button" onClick={() => onApply(filtersOfView(view))}>
                  {view.name}
                </button>
                {view.shared ? <span className="muted small"> · shared</span> : null}
                {view.mine ? (
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
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted small">No saved views yet.</p>
        )}
        {views.error ? <ErrorMessage error={views.error} /> : null}
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
