import { useState } from "react";
import { trpc, type RouterOutputs } from "../../trpc";

export type JobProgress = RouterOutputs["jobs"]["get"];

export const isJobFinished = (progress: JobProgress | undefined) =>
  progress?.state === "completed" || progress?.state === "failed";

/**
 * Follows a long job live over `jobs.progress` (its snapshot, then every change, until it
 * completes or fails): the one way the SPA shows a job's progress. `jobId` null follows
 * nothing. A dropped stream reconnects on its own and starts again from the job's current
 * snapshot, so nothing that matters is missed (progress is a state, not a log).
 * `error` is set when the job cannot be followed (e.g. NOT_FOUND: its progress expired);
 * `unfollowable` says to fall back on polling (that, or a browser without EventSource).
 */
export function useJobProgress(jobId: string | null): {
  progress: JobProgress | undefined;
  error: unknown;
  unfollowable: boolean;
} {
  const supported = typeof EventSource !== "undefined";
  const [seen, setSeen] = useState<{ jobId: string; progress?: JobProgress; error?: unknown } | null>(null);
  const mine = seen && seen.jobId === jobId ? seen : null;
  trpc.jobs.progress.useSubscription(
    { jobId: jobId ?? "" },
    {
      enabled: jobId !== null && !isJobFinished(mine?.progress) && supported,
      onData(next) {
        setSeen((current) =>
          // A reconnect may bring an older snapshot than one already shown: keep the newest.
          current?.jobId === next.jobId && current.progress && current.progress.seq >= next.seq
            ? { ...current, error: undefined }
            : { jobId: next.jobId, progress: next },
        );
      },
      onError(error) {
        if (jobId) setSeen((current) => ({ ...(current?.jobId === jobId ? current : { jobId }), error }));
      },
    },
  );
  const error = mine?.error ?? null;
  return { progress: mine?.progress, error, unfollowable: !supported || error !== null };
}
