import { useEffect, useId, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { trpc, type RouterOutputs } from "../../trpc";
import { formatCount, formatSeconds } from "./format";

type WarmupStatus = RouterOutputs["cache"]["warmupStatus"];

/** How often the progress is asked for while a warm-up runs. */
const WARMUP_POLL_MS = 500;
/** The server's default: the most active contacts whose suggestions are precomputed. */
const WARMUP_CONTACTS = 100;

const finished = (status: WarmupStatus | undefined) => status?.state === "completed" || status?.state === "failed";

const STATE_LABELS: Record<WarmupStatus["state"], string> = {
  waiting: "Queued, waiting for a worker…",
  delayed: "Queued, retrying shortly…",
  unknown: "Queued…",
  active: "Warming up…",
  completed: "Done",
  failed: "Failed",
};

/**
 * "Warm up cache": starts cache.warmup, then polls cache.warmupStatus until
 * the job completes or fails, showing a progress bar and, at the end, what
 * the job did.
 */
export function WarmUp({ workspaceId, onFinished }: { workspaceId: string; onFinished: () => void }) {
  const id = useId();
  const [jobId, setJobId] = useState<string | null>(null);
  const start = trpc.cache.warmup.useMutation({ onSuccess: (status) => setJobId(status.jobId) });
  const poll = trpc.cache.warmupStatus.useQuery(
    { workspaceId, jobId: jobId ?? "" },
    {
      enabled: jobId !== null,
      staleTime: 0,
      refetchInterval: (query) => (finished(query.state.data) ? false : WARMUP_POLL_MS),
    },
  );
  // cache.warmup answers with the job's first status; the polls take over from there.
  const status = poll.data ?? (start.data?.jobId === jobId ? start.data : undefined);
  const done = finished(status);
  const running = start.isPending || (jobId !== null && !done && !poll.error);

  // Once per job: the figures on the page changed.
  const [reported, setReported] = useState<string | null>(null);
  useEffect(() => {
    if (done && status && reported !== status.jobId) {
      setReported(status.jobId);
      onFinished();
    }
  }, [done, status, reported, onFinished]);

  const progress = status?.state === "completed" ? 100 : Math.max(0, Math.min(100, Math.round(status?.progress ?? 0)));

  return (
    <section className="card stack-sm cache-warmup" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Warm-up</h2>
      <p className="hint">
        Precomputes the suggestions of the {WARMUP_CONTACTS} most active contacts, so their pages answer from the cache.
      </p>
      <div className="button-row">
        <button
          type="button"
          disabled={running}
          onClick={() => {
            setJobId(null);
            start.mutate({ workspaceId, limit: WARMUP_CONTACTS });
          }}
        >
          {running ? "Warming up…" : "Warm up cache"}
        </button>
      </div>
      {start.error && <ErrorMessage error={start.error} title="Could not start the warm-up" />}
      {status && (
        <div className="stack-sm">
          <div className="cache-progress-row">
            <div
              className="cache-progress"
              role="progressbar"
              aria-label="Warm-up progress"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={progress}
              aria-valuetext={`${progress}% · ${STATE_LABELS[status.state]}`}
            >
              <div
                className={`cache-progress-fill${status.state === "failed" ? " failed" : ""}`}
                style={{ width: `${progress}%` }}
              />
            </div>
            <span className="cache-progress-text" aria-hidden="true">
              {progress}%
            </span>
          </div>
          {!done && <p className="small muted">{STATE_LABELS[status.state]}</p>}
        </div>
      )}
      {poll.error && (
        <ErrorMessage error={poll.error} title="Could not follow the warm-up" onRetry={() => void poll.refetch()} />
      )}
      {/* Announced once, when the job ends. */}
      <div role="status" className="cache-warmup-result">
        {status?.state === "completed" && (
          <div className="alert alert-success">
            <p className="alert-title">Warm-up complete</p>
            <dl className="cache-result">
              <div>
                <dt>Contacts cached</dt>
                <dd>{formatCount(status.contactsCached)}</dd>
              </div>
              <div>
                <dt>Recommendations generated</dt>
                <dd>{formatCount(status.recommendationsGenerated)}</dd>
              </div>
              <div>
                <dt>Time taken</dt>
                <dd>{formatSeconds(status.timeTakenSec)}</dd>
              </div>
            </dl>
          </div>
        )}
      </div>
      {status?.state === "failed" && (
        <div className="alert alert-error" role="alert">
          <p className="alert-title">Warm-up failed{status.failedReason ? `: ${status.failedReason}` : ""}</p>
        </div>
      )}
    </section>
  );
}
