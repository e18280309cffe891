/**
 * /w/:ws/cache — the workspace's recommendation cache, for owners and admins.
 *
 * Figures refresh every 10 s. The hit-rate chart uses the server's per-minute
 * series (last 60 minutes, all servers; this server's alone when it has no Redis);
 * when the server has none (its Redis unavailable) it charts samples this page
 * takes at each refresh instead, and says so ("since this page opened").
 */
import { lazy, Suspense, useCallback, useEffect, useId, useState } from "react";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useNow } from "../../components/hooks";
import { formatAbsolute, formatRelative } from "../../components/time";
import { trpc, type RouterOutputs } from "../../trpc";
import { RequireRole } from "../shell/RequireRole";
import {
  DASH,
  formatBytes,
  formatCount,
  formatMs,
  formatRate,
  formatTime,
  formatTimeWithSeconds,
  plural,
} from "./format";
import type { ChartPoint } from "./HitRateChart";
import { KeysBrowser } from "./KeysBrowser";
import { WarmUp } from "./WarmUp";
import "./cache.css";
import { Skeleton } from "../../components/Skeleton";
import { TableScroll } from "../../components/TableScroll";

// chart.js is loaded only when the chart is shown (its own chunk).
const HitRateChart = lazy(() => import("./HitRateChart"));

type Stats = RouterOutputs["cache"]["stats"];

const STATS_POLL_MS = 10_000;
/** Client-side samples kept for the chart (an hour at one per 10 s). */
const MAX_SAMPLES = 360;

export default function CachePage() {
  return (
    <RequireRole minimum="admin" title="Cache" page="cache page">
      {(workspace) => <CacheAdmin workspaceId={workspace.id} workspaceName={workspace.name} />}
    </RequireRole>
  );
}

function CacheAdmin({ workspaceId, workspaceName }: { workspaceId: string; workspaceName: string }) {
  const utils = trpc.useUtils();
  const stats = trpc.cache.stats.useQuery({ workspaceId }, { refetchInterval: STATS_POLL_MS, staleTime: 0 });
  const samples = useSamples(stats.data, stats.dataUpdatedAt);
  const refreshFigures = useCallback(() => {
    void utils.cache.stats.invalidate({ workspaceId });
    void utils.cache.keys.invalidate({ workspaceId });
  }, [utils, workspaceId]);

  return (
    <div className="stack-lg cache-page">
      <div>
        <h1>Cache</h1>
        <p className="muted">How well cached suggestions serve {workspaceName}. Figures refresh every 10 seconds.</p>
      </div>

      {stats.data?.degraded && <DegradedBanner stats={stats.data} />}
      {stats.data && !stats.data.configured && (
        <p className="alert alert-info">
          This server has no Redis: suggestions are cached in its own memory, and the figures below are its own
          {stats.data.statsSince ? ` since ${formatAbsolute(stats.data.statsSince)}` : ""}.
        </p>
      )}

      {stats.isPending ? (
        <Skeleton shape="figures" rows={4} label="Loading cache statistics…" />
      ) : !stats.data ? (
        <ErrorMessage
          error={stats.error}
          title="Could not load the cache statistics"
          onRetry={() => void stats.refetch()}
        />
      ) : (
        <>
          {stats.error && (
            <ErrorMessage error={stats.error} title="Could not refresh the statistics; showing the last ones" />
          )}
          <Figures stats={stats.data} />
          <HitRateSection stats={stats.data} samples={samples} />
        </>
      )}

      <div className="cache-actions">
        <Invalidate workspaceId={workspaceId} workspaceName={workspaceName} onDone={refreshFigures} />
        <WarmUp workspaceId={workspaceId} onFinished={refreshFigures} />
      </div>

      <KeysBrowser workspaceId={workspaceId} onChanged={refreshFigures} />
    </div>
  );
}

function DegradedBanner({ stats }: { stats: Stats }) {
  const now = useNow(30_000);
  const since = stats.degradedSince;
  return (
    <div className="cache-degraded" role="status">
      <p className="alert-title">
        Cache degraded
        {since ? (
          <>
            {" "}
            since <time dateTime={since.toISOString()}>{formatAbsolute(since)}</time> ({formatRelative(since, now)})
          </>
        ) : null}
      </p>
      <p>
        {stats.detail ? `${stats.detail}. ` : ""}
        Suggestions still work: they are computed from the database (slower), and the figures below are this
        server&apos;s own since it started.
      </p>
    </div>
  );
}

function Figures({ stats }: { stats: Stats }) {
  const lookups = stats.hits + stats.misses;
  const evictions = (stats.evictions.redis ?? 0) + stats.evictions.local;
  const totalKeys =
    stats.keysUnderPrefix === null
      ? DASH
      : `${stats.keyCountApproximate ? "≈ " : ""}${formatCount(stats.keysUnderPrefix)}`;
  return (
    <section aria-labelledby="cache-figures-title" className="stack-sm">
      <h2 id="cache-figures-title">Overview</h2>
      <dl className="cache-figures">
        <Figure
          term="Hit rate"
          value={formatRate(stats.hitRate)}
          note={`${plural(stats.hits, "hit")} · ${plural(stats.misses, "miss", "misses")}${stats.statsSince ? ` since ${formatAbsolute(stats.statsSince)}` : ""}`}
        />
        {stats.configured ? (
          <Figure
            term="Memory used"
            value={formatBytes(stats.redisMemoryBytes)}
            note={`Redis (whole server) · in-process ${formatBytes(stats.l1.bytesAllInstance)} of ${formatBytes(stats.l1.maxBytes)}`}
          />
        ) : (
          <Figure
            term="Memory used"
            value={formatBytes(stats.l1.bytesAllInstance)}
            note={`In this server's memory, of ${formatBytes(stats.l1.maxBytes)}`}
          />
        )}
        <Figure term="Total keys" value={totalKeys} note={`${formatCount(stats.workspaceKeys)} of this workspace`} />
        <Figure
          term="Recommendations cached"
          value={formatCount(stats.recommendationsCached)}
          note="Current suggestion lists"
        />
        <Figure
          term="Evictions"
          value={formatCount(evictions)}
          note={
            stats.configured
              ? `Redis ${stats.evictions.redis === null ? "n/a" : formatCount(stats.evictions.redis)} · in-process ${formatCount(stats.evictions.local)}`
              : "In this server's memory"
          }
        />
        <Figure
          term="Average get latency"
          value={formatMs(stats.getLatency.avgMs)}
          note={plural(stats.getLatency.count, "lookup")}
        />
        <Figure
          term="p95 get latency"
          value={stats.getLatency.p95Ms === null ? DASH : `≤ ${formatMs(stats.getLatency.p95Ms)}`}
          note="Histogram bucket bound"
        />
        <Figure
          term="Status"
          value={!stats.configured ? "In memory" : stats.degraded ? "Degraded" : "Healthy"}
          note={stats.instanceOnly ? "This server only" : `${plural(lookups, "lookup")}, all servers`}
          tone={stats.degraded ? "warn" : "ok"}
        />
      </dl>
    </section>
  );
}

function Figure({ term, value, note, tone }: { term: string; value: string; note?: string; tone?: "ok" | "warn" }) {
  return (
    <div className={`cache-figure${tone ? ` cache-figure-${tone}` : ""}`}>
      <dt>{term}</dt>
      <dd>
        <span className="cache-figure-value">{value}</span>
        {note && <span className="cache-figure-note">{note}</span>}
      </dd>
    </div>
  );
}

interface Sample {
  at: Date;
  hitRate: number | null;
}

/** One sample per stats refresh, kept while the page is open (for when the server has no series). */
function useSamples(stats: Stats | undefined, updatedAt: number): Sample[] {
  const [samples, setSamples] = useState<Sample[]>([]);
  useEffect(() => {
    if (!stats || updatedAt === 0) return;
    setSamples((previous) =>
      previous.at(-1)?.at.getTime() === updatedAt
        ? previous
        : [...previous, { at: new Date(updatedAt), hitRate: stats.hitRate }].slice(-MAX_SAMPLES),
    );
  }, [stats, updatedAt]);
  return samples;
}

function HitRateSection({ stats, samples }: { stats: Stats; samples: Sample[] }) {
  const id = useId();
  const fromServer = stats.series.length > 0;
  const points: (ChartPoint & { at: Date; lookups: number | null })[] = fromServer
    ? stats.series.map((slot) => {
        const lookups = slot.hits + slot.misses;
        return {
          at: slot.startsAt,
          label: formatTime(slot.startsAt),
          value: lookups === 0 ? null : (slot.hits / lookups) * 100,
          lookups,
        };
      })
    : samples.map((sample) => ({
        at: sample.at,
        label: formatTimeWithSeconds(sample.at),
        value: sample.hitRate === null ? null : sample.hitRate * 100,
        lookups: null,
      }));
  const withValues = points.filter((point) => point.value !== null);
  const latest = withValues.at(-1);
  const label = fromServer
    ? `Hit rate per minute over the last hour${latest ? `; latest ${latest.value!.toFixed(1)}% at ${latest.label}` : ""}`
    : `Hit rate sampled every 10 seconds since this page opened${latest ? `; latest ${latest.value!.toFixed(1)}%` : ""}`;

  return (
    <section aria-labelledby={`${id}-title`} className="card stack-sm">
      <h2 id={`${id}-title`}>Hit rate over time</h2>
      <p className="hint">
        {fromServer
          ? `Share of lookups answered from the cache, per minute over the last 60 minutes (${stats.instanceOnly ? "this server" : "all servers"}). Gaps are minutes without lookups.`
          : "The server keeps no history right now, so this chart shows the hit rate so far, sampled every 10 seconds since this page opened."}
      </p>
      {withValues.length === 0 ? (
        <p className="empty">{fromServer ? "No lookups in the last hour." : "No lookups since this page opened."}</p>
      ) : (
        <>
          <Suspense fallback={<Skeleton shape="chart" label="Loading chart…" />}>
            <HitRateChart points={points} label={label} />
          </Suspense>
          <details className="cache-numbers">
            <summary>Show the numbers</summary>
            <TableScroll>
              <table className="data-table">
                <caption className="visually-hidden">{label}</caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Hit rate</th>
                    {fromServer && <th scope="col">Lookups</th>}
                  </tr>
                </thead>
                <tbody>
                  {withValues.map((point) => (
                    <tr key={point.at.getTime()}>
                      <td>{point.label}</td>
                      <td>{point.value!.toFixed(1)}%</td>
                      {fromServer && <td>{formatCount(point.lookups)}</td>}
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </details>
        </>
      )}
    </section>
  );
}

function Invalidate({
  workspaceId,
  workspaceName,
  onDone,
}: {
  workspaceId: string;
  workspaceName: string;
  onDone: () => void;
}) {
  const id = useId();
  const [confirming, setConfirming] = useState(false);
  const invalidate = trpc.cache.invalidateWorkspace.useMutation({
    onSuccess: () => {
      setConfirming(false);
      onDone();
    },
  });
  const result = invalidate.data;
  return (
    <section className="card stack-sm" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Invalidate</h2>
      <p className="hint">
        Drops every cached suggestion of this workspace. They are computed again when next needed (slower at first).
      </p>
      <div className="button-row">
        <button
          type="button"
          className="button-danger-outline"
          onClick={() => {
            invalidate.reset();
            setConfirming(true);
          }}
        >
          Invalidate workspace cache
        </button>
      </div>
      <div role="status">
        {result && (
          <p className={`alert ${result.status === "ok" ? "alert-success" : "alert-info"}`}>
            Cache invalidated: {formatCount(result.invalidatedKeys)} {result.invalidatedKeys === 1 ? "key" : "keys"}{" "}
            removed
            {result.status === "degraded" ? " (from this server only: Redis is unavailable)" : ""}.
          </p>
        )}
      </div>
      <ConfirmDialog
        open={confirming}
        title="Invalidate the workspace cache?"
        confirmLabel="Yes, invalidate"
        destructive
        pending={invalidate.isPending}
        error={
          invalidate.error ? (
            <ErrorMessage error={invalidate.error} title="Could not invalidate the cache" />
          ) : undefined
        }
        onConfirm={() => invalidate.mutate({ workspaceId })}
        onCancel={() => setConfirming(false)}
      >
        <p>
          Every cached suggestion of {workspaceName} is dropped. Contact pages stay correct but are slower until the
          cache fills again (or until you warm it up).
        </p>
      </ConfirmDialog>
    </section>
  );
}
