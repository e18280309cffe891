import { useCallback, useEffect, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { ProgressBar } from "../../components/ProgressBar";
import { errorCode } from "../../errors";
import { trpc } from "../../trpc";
import { formatBytes } from "../cache/format";
import { downloadExportFile } from "./download";
import { dateTimeFormat } from "../../components/time";
import type { ExportStatus } from "./format";
import { isJobFinished, useJobProgress } from "../jobs/useJobProgress";

/** How often the status is asked for while an export is built, only when its progress cannot be followed live. */
const EXPORT_POLL_MS = 1_000;

export function isFinished(status: ExportStatus | undefined): boolean {
  return status?.status === "completed" || status?.status === "failed" || status?.status === "discarded";
}

function readRemembered(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function remember(key: string, exportId: string | null) {
  try {
    if (exportId) localStorage.setItem(key, exportId);
    else localStorage.removeItem(key);
  } catch {
    // Storage disabled: a reload forgets the export (it can be requested again).
  }
}

export interface ExportJob {
  exportId: string | null;
  /** The export's latest status; its `progress` follows the job live (jobs.progress) while it runs. */
  status: ExportStatus | undefined;
  /** Looking up a remembered export after a reload. */
  checking: boolean;
  error: unknown;
  refetch: () => void;
  /** Call with requestExport's / exportContact's answer: polling starts from there. */
  started: (status: ExportStatus) => void;
}

/**
 * One export being followed: its id is remembered under `rememberKey` (an
 * opaque id, in localStorage) so a reload finds the export again. While it runs,
 * its progress comes live over jobs.progress (the export's id is its job's id),
 * and its status is read again once the job ends (for the download link); only
 * when the progress cannot be followed is the status polled every second.
 */
export function useExportJob(rememberKey: string): ExportJob {
  const utils = trpc.useUtils();
  const [exportId, setExportIdState] = useState<string | null>(() => readRemembered(rememberKey));
  const setExportId = useCallback(
    (id: string | null) => {
      setExportIdState(id);
      remember(rememberKey, id);
    },
    [rememberKey],
  );
  const stored = utils.gdpr.exportStatus.getData({ exportId: exportId ?? "" });
  const live = useJobProgress(exportId && !isFinished(stored) ? exportId : null);
  const ended = isJobFinished(live.progress);
  const query = trpc.gdpr.exportStatus.useQuery(
    { exportId: exportId ?? "" },
    {
      enabled: exportId !== null,
      staleTime: 0,
      // Polled only when the progress cannot be followed, or once the job ended, until its status says so.
      refetchInterval: (current) =>
        isFinished(current.state.data) || current.state.error || !(live.unfollowable || ended) ? false : EXPORT_POLL_MS,
    },
  );

  // The job ended: its status now has the file (or the failure).
  const { refetch } = query;
  useEffect(() => {
    if (ended) void refetch();
  }, [ended, refetch]);

  // Gone (or no longer ours to see): forget it, the person can request a new one.
  const gone = errorCode(query.error) === "NOT_FOUND";
  useEffect(() => {
    if (gone) setExportId(null);
  }, [gone, setExportId]);

  const started = useCallback(
    (status: ExportStatus) => {
      utils.gdpr.exportStatus.setData({ exportId: status.exportId }, status);
      setExportId(status.exportId);
    },
    [utils, setExportId],
  );

  const status =
    exportId && query.data && live.progress && !isFinished(query.data)
      ? {
          ...query.data,
          status: live.progress.state === "queued" ? ("pending" as const) : ("in_progress" as const),
          // 100 only once the status says completed (the download link comes with it).
          progress: Math.min(99, live.progress.percent),
        }
      : exportId
        ? query.data
        : undefined;

  return {
    exportId,
    status,
    checking: exportId !== null && query.isPending && !query.data,
    error: gone ? null : query.error,
    refetch: () => void query.refetch(),
    started,
  };
}

const STATE_TEXT: Record<ExportStatus["status"], string> = {
  pending: "Queued: the export starts in a moment…",
  in_progress: "Collecting the data and writing the ZIP…",
  completed: "The export is ready to download.",
  failed: "The export failed.",
  discarded: "The export was withdrawn.",
};

/** Why an export was withdrawn, in the user's words. */
const DISCARD_TEXT: Record<NonNullable<ExportStatus["discardReason"]>, string> = {
  subject_erased:
    "Someone whose data it held was erased (GDPR Art. 17), so the file was deleted before anyone could download it again. A new export contains what is left.",
};

interface ExportProgressProps {
  status: ExportStatus;
  /** Accessible name of the progress bar. */
  label: string;
  /** A polling error (the last known status stays on screen). */
  pollError?: unknown;
  onRetryPoll?: () => void;
  /** Starts a new export (after a failure or once the file expired). */
  onRequestAgain: () => void;
  requestAgainPending?: boolean;
  fallbackFilename: string;
}

/**
 * The progress of one export: a progress bar (0–100), its state in words, and
 * once completed a Download button with the file's size and expiry; a failed
 * or expired export offers to start again.
 */
export function ExportProgress({
  status,
  label,
  pollError,
  onRetryPoll,
  onRequestAgain,
  requestAgainPending,
  fallbackFilename,
}: ExportProgressProps) {
  const [download, setDownload] = useState<
    { state: "idle" } | { state: "pending" } | { state: "done"; name: string } | { state: "failed"; error: unknown }
  >({
    state: "idle",
  });
  const progress = status.status === "completed" ? 100 : status.progress;
  const failed = status.status === "failed";
  const completed = status.status === "completed";
  const expired = completed && !status.downloadUrl;
  const discarded = status.status === "discarded";

  const save = async () => {
    if (!status.downloadUrl) return;
    setDownload({ state: "pending" });
    try {
      const name = await downloadExportFile(status.downloadUrl, fallbackFilename);
      setDownload({ state: "done", name });
    } catch (error) {
      setDownload({ state: "failed", error });
    }
  };

  return (
    <div className={`pv-export${failed || discarded ? " pv-export-failed" : completed ? " pv-export-ready" : ""}`}>
      <ProgressBar
        percent={progress}
        label={label}
        valueText={STATE_TEXT[status.status]}
        tone={failed || discarded ? "failed" : completed ? "done" : "running"}
      />
      {/* Announced when the state changes, not at every percent. */}
      <p role="status" className="small pv-export-state">
        {expired ? "This export has expired." : STATE_TEXT[status.status]}
      </p>

      {completed && !expired && (
        <div className="pv-download">
          <button type="button" onClick={() => void save()} disabled={download.state === "pending"}>
            {download.state === "pending"
              ? "Downloading…"
              : `Download ZIP${status.fileSizeBytes !== undefined ? ` (${formatBytes(status.fileSizeBytes)})` : ""}`}
          </button>
          {status.expiresAt && (
            <p className="small muted pv-download-meta">
              Available until{" "}
              <time dateTime={status.expiresAt.toISOString()}>{dateTimeFormat.format(status.expiresAt)}</time>, then
              deleted.
            </p>
          )}
        </div>
      )}
      {download.state === "done" && (
        <p className="small pv-download-done" role="status">
          Saved {download.name}.
        </p>
      )}
      {download.state === "failed" && <ErrorMessage error={download.error} title="Could not download the file" />}

      {expired && (
        <div className="stack-sm">
          <p className="small muted">
            The file was deleted{status.expiresAt ? ` on ${dateTimeFormat.format(status.expiresAt)}` : ""}. Request a
            new export to get the data again.
          </p>
          <p>
            <button type="button" className="button-secondary" onClick={onRequestAgain} disabled={requestAgainPending}>
              {requestAgainPending ? "Requesting…" : "Request a new export"}
            </button>
          </p>
        </div>
      )}
      {discarded && (
        <div className="alert alert-info" role="alert">
          <p className="alert-title">This export was withdrawn.</p>
          <p>{status.discardReason ? DISCARD_TEXT[status.discardReason] : "The file was deleted."}</p>
          <p>
            <button type="button" className="button-secondary" onClick={onRequestAgain} disabled={requestAgainPending}>
              {requestAgainPending ? "Requesting…" : "Request a new export"}
            </button>
          </p>
        </div>
      )}
      {failed && (
        <div className="alert alert-error" role="alert">
          <p className="alert-title">The export could not be completed.</p>
          <p>Nothing was shared. Try again; if it keeps failing, ask a workspace owner to check the server logs.</p>
          <p>
            <button type="button" className="button-secondary" onClick={onRequestAgain} disabled={requestAgainPending}>
              {requestAgainPending ? "Starting…" : "Try again"}
            </button>
          </p>
        </div>
      )}
      {pollError !== null && pollError !== undefined && !isFinished(status) && (
        <ErrorMessage error={pollError} title="Could not follow the export's progress" onRetry={onRetryPoll} />
      )}
    </div>
  );
}
