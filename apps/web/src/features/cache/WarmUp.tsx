import { useEffect, useId, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { ProgressBar } from "../../components/ProgressBar";
import { trpc, type RouterOutputs } from "../../trpc";
import { isJobFinished, useJobProgress } from "../jobs/useJobProgress";
import { formatCount, formatSeconds } from "./format";

type WarmupStatus = RouterOutputs["cache"]["warmupStatus"];

/** How often the status is asked for while a warm-up runs, only when its progress cannot be followed live. */
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
 * "Warm up cache": starts cache.warmup, follows the job live (jobs.progress) with a
 * progress bar, and once it ends reads cache.warmupStatus for what the job did.
 */
export function WarmUp({ workspaceId, onFinished }: { workspaceId: string; onFinished: () => void }) {
  const id = useId();
  const [jobId, setJobId] = useState<string | null>(null);
  const start = trpc.cache.warmup.useMutation({ onSuccess: (status) => setJobId(status.jobId) });
  const live = useJobProgress(jobId);
  const poll = trpc.cache.warmupStatus.useQuery(
    { workspaceId, jobId: jobId ?? "" },
    {
      enabled: jobId !== null && (isJobFinished(live.progress) || live.unfollowable),
      staleTime: 0,
      // Until the queue also says the job ended (it finishes just after its last progress).
      refetchInterval: (query) => (finished(query.state.data) ? false : WARMUP_POLL_MS),
    },
  );
  // cache.warmup answers with the job's first status; the live progress moves the bar, and
  // the status read at the end brings the figures.
  const answered = poll.data ?? (start.data?.jobId === jobId ? start.data : undefined);
  const status =
    answered && live.progress && !finished(answered)
      ? {
          ...answered,
          state: live.progress.state === "queued" ? ("waiting" as const) : ("active" as const),
          progress: Math.min(99, live.progress.percent),
        }
      : answered;
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
          <ProgressBar
            percent={progress}
            label="Warm-up progress"
            valueText={STATE_LABELS[status.state]}
            tone={status.state === "failed" ? "failed" : status.state === "completed" ? "done" : "running"}
          />
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
