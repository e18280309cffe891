import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { ProgressBar } from "../../components/ProgressBar";
import { CONTACT_LIST_COLUMNS, holdsTagSeparator, type ContactListColumn } from "../../schemas";
import { showToast } from "../../components/toast";
import { authedFetch, getAccessToken } from "../../session";
import { trpc, type RouterInputs } from "../../trpc";
import { isJobFinished, useJobProgress } from "../jobs/useJobProgress";
import { describeError } from "../../errors";
import { refreshLists } from "./cache";

type Filter = RouterInputs["contacts"]["bulk"]["filter"];
type Action = "tag" | "untag" | "delete" | "restore";

const COLUMNS = CONTACT_LIST_COLUMNS;
const COLUMN_LABELS: Record<ContactListColumn, string> = {
  name: "Name",
  email: "Email",
  company: "Company",
  title: "Title",
  phone: "Phone",
  tags: "Tags",
  source: "Source",
  created_at: "Created",
  updated_at: "Updated",
};

/** Downloads the filtered list (streamed by the server) with the chosen columns. */
async function downloadExport(
  workspaceId: string,
  filter: Filter,
  sort: string,
  columns: string[],
  format: "csv" | "xlsx",
) {
  const params = new URLSearchParams({ workspaceId, format, sort, columns: columns.join(",") });
  for (const [key, value] of Object.entries(filter))
    if (value !== undefined && value !== "") params.set(key, String(value));
  const token = await getAccessToken();
  const response = await authedFetch(`/api/contacts/export?${params}`, {
    headers: { authorization: `Bearer ${token ?? ""}` },
  });
  if (!response.ok) throw new Error(`The export failed (${response.status}).`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `rapport-contacts.${format}`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const DONE: Record<Action, string> = { tag: "Tagged", untag: "Untagged", delete: "Deleted", restore: "Restored" };

/** "all 1,234", or "all 10,000+" when the list's count stopped at its bound. */
export function allText({ count, exact }: { count: number; exact: boolean }): string {
  return `all ${count.toLocaleString()}${exact ? "" : "+"}`;
}

/** What a finished bulk delete can undo: the same filter, restricted to the instant it deleted at. */
interface Undoable {
  filter: Filter;
  deletedAt: Date;
}

/**
 * Acts on every contact the list's filters select, not only the loaded rows: add or remove
 * a tag, or delete them all (restorable from "Recently deleted"). More than 1,000 run as a
 * job whose progress bar follows it.
 */
type BulkJob = ReturnType<typeof useBulkJob>;

/**
 * A bulk operation's job, followed by the page rather than by the panel that started it:
 * the panel unmounts when nothing matches any more (a bulk delete empties the list before
 * its job reports completion), and the result must still be told.
 */
export function useBulkJob(workspaceId: string) {
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const [running, setRunning] = useState<{ action: Action; jobId: string; undo?: Undoable } | null>(null);
  const { progress } = useJobProgress(running?.jobId ?? null);

  const finish = (action: Action, changed: number | null, undo?: Undoable, restricted = 0) => {
    void refreshLists(queryClient, workspaceId);
    void refreshLists(queryClient, workspaceId, true);
    void utils.contacts.count.invalidate({ workspaceId });
    showToast({
      message:
        changed === null
          ? `${DONE[action]} every matching contact.`
          : `${DONE[action]} ${changed.toLocaleString()} contact${changed === 1 ? "" : "s"}.${
              // Tagging leaves restricted contacts (GDPR Art. 18) unchanged: say so rather than let it look missed.
              restricted > 0
                ? ` ${restricted.toLocaleString()} left unchanged: processing is restricted (GDPR Art. 18).`
                : ""
            }`,
      // Undo restores exactly what this delete removed: its filter, at the instant it deleted.
      ...(undo && changed !== 0
        ? {
            action: {
              label: "Undo",
              run: async () => {
                try {
                  const started = await utils.client.contacts.bulk.mutate({
                    workspaceId,
                    filter: { ...undo.filter, deleted: true, deletedAt: undo.deletedAt },
                    action: "restore",
                  });
                  if (started.jobId) setRunning({ action: "restore", jobId: started.jobId });
                  else finish("restore", started.result?.changed ?? 0);
                } catch (error) {
                  showToast({ tone: "error", message: `Could not restore: ${describeError(error).message}` });
                }
              },
            },
          }
        : {}),
    });
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: reacts to the job finishing, once
  useEffect(() => {
    if (running && isJobFinished(progress) && progress?.state === "completed") {
      // The job's summary counts what it changed and what it left out (restricted): `done` counts
      // every contact it walked. A snapshot without one (an older server's) falls back on `done`.
      const summary = progress.summary;
      finish(running.action, summary ? summary.changed : progress.done, running.undo, summary?.restricted ?? 0);
      setRunning(null);
    }
  }, [progress?.state]);

  return { running, progress, finish, follow: setRunning };
}

/** The progress of a bulk operation running as a job, and its failure. */
export function BulkJobStatus({ job }: { job: BulkJob }) {
  const { running, progress } = job;
  return (
    <>
      {running && (
        <ProgressBar
          label="Bulk operation progress"
          percent={progress?.percent ?? null}
          tone={progress?.state === "failed" ? "failed" : "running"}
        />
      )}
      {running && progress?.state === "failed" && <p className="alert alert-error">{progress.error}</p>}
    </>
  );
}

export function BulkByFilter({
  workspaceId,
  filter,
  sort,
  matching,
  columns,
  onColumnsChange,
  job,
}: {
  workspaceId: string;
  /** The page's follower of the operation's job (see useBulkJob). */
  job: BulkJob;
  filter: Filter;
  sort: string;
  /** The list's count: exact, or its bound when there are more. */
  matching: { count: number; exact: boolean };
  /** The export's columns: the list view's, kept in its address. */
  columns: ContactListColumn[];
  onColumnsChange(columns: ContactListColumn[]): void;
}) {
  const id = useId();
  const [tag, setTag] = useState("");
  // The exact number a delete would act on, asked of the server before confirming.
  const [confirming, setConfirming] = useState<number | null>(null);
  const [counting, setCounting] = useState(false);
  const filterKey = JSON.stringify(filter);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a number counted for another filter is not asked to confirm
  useEffect(() => setConfirming(null), [filterKey]);
  const [exportError, setExportError] = useState<string | null>(null);
  const exportAs = (format: "csv" | "xlsx") => {
    setExportError(null);
    downloadExport(workspaceId, filter, sort, columns, format).catch((error: unknown) =>
      setExportError(error instanceof Error ? error.message : "The export failed."),
    );
  };
  const bulk = trpc.contacts.bulk.useMutation();
  const { running, finish, follow } = job;

  const run = (action: Action) => {
    setConfirming(null);
    bulk.mutate(
      { workspaceId, filter, action, ...(action === "delete" ? {} : { tag: tag.trim() }) },
      {
        onSuccess: (started) => {
          const undo = started.deletedAt ? { filter, deletedAt: started.deletedAt } : undefined;
          if (started.jobId) follow({ action, jobId: started.jobId, undo });
          else finish(action, started.result?.changed ?? 0, undo, started.result?.restricted ?? 0);
        },
      },
    );
  };
  // The list's count stops at its bound; the delete acts on every match, so the server
  // counts them exactly (a dry run) and the confirmation names that number.
  const askToDelete = () => {
    setCounting(true);
    bulk.mutate(
      { workspaceId, filter, action: "delete", dryRun: true },
      { onSuccess: (counted) => setConfirming(counted.matched), onSettled: () => setCounting(false) },
    );
  };
  const busy = bulk.isPending || running !== null;
  const oneTagError = holdsTagSeparator(tag);
  const tagReady = !busy && tag.trim() !== "" && !oneTagError;
  const all = allText(matching);

  return (
    <details className="cl-bulk-all">
      <summary>Act on {all} matching</summary>
      <div className="cl-bulk-all-body">
        <div className="field ct-field">
          <label htmlFor={`${id}-tag`}>Tag</label>
          <input
            id={`${id}-tag`}
            value={tag}
            maxLength={50}
            aria-invalid={oneTagError || undefined}
            aria-describedby={oneTagError ? `${id}-tag-error` : undefined}
            onChange={(event) => setTag(event.target.value)}
          />
          {oneTagError ? (
            <p id={`${id}-tag-error`} className="field-error">
              One tag at a time: "," and ";" separate tags.
            </p>
          ) : null}
        </div>
        <button type="button" className="button-secondary" disabled={!tagReady} onClick={() => run("tag")}>
          Add tag to {all}
        </button>
        <button type="button" className="button-secondary" disabled={!tagReady} onClick={() => run("untag")}>
          Remove tag from {all}
        </button>
        {confirming !== null ? (
          <>
            <button type="button" className="button-danger" disabled={busy} onClick={() => run("delete")}>
              Confirm: delete {confirming.toLocaleString()} contact{confirming === 1 ? "" : "s"}
            </button>
            <button type="button" className="link-button" onClick={() => setConfirming(null)}>
              Cancel
            </button>
          </>
        ) : (
          <button type="button" className="button-danger" disabled={busy} onClick={askToDelete}>
            {counting ? "Counting…" : `Delete ${all}…`}
          </button>
        )}
      </div>
      <fieldset className="cl-export">
        <legend>Export {all} with these columns</legend>
        {COLUMNS.map((column) => (
          <label className="checkbox" key={column}>
            <input
              type="checkbox"
              checked={columns.includes(column)}
              onChange={() =>
                onColumnsChange(
                  columns.includes(column)
                    ? columns.filter((c) => c !== column)
                    : COLUMNS.filter((c) => c === column || columns.includes(c)),
                )
              }
            />
            {COLUMN_LABELS[column]}
          </label>
        ))}
        <button
          type="button"
          className="button-secondary"
          disabled={columns.length === 0}
          onClick={() => exportAs("csv")}
        >
          Export CSV
        </button>
        <button
          type="button"
          className="button-secondary"
          disabled={columns.length === 0}
          onClick={() => exportAs("xlsx")}
        >
          Export Excel
        </button>
        {exportError && <p className="alert alert-error">{exportError}</p>}
      </fieldset>
      {bulk.error ? <ErrorMessage error={bulk.error} /> : null}
    </details>
  );
}
