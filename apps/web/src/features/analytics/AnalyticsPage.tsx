import { keepPreviousData } from "@tanstack/react-query";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import { lazy, Suspense, useMemo } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Empty } from "../../components/Status";
import { describeError } from "../../errors";
import { trpc, type WorkspaceRole } from "../../trpc";
import { canManage } from "../shell/workspace";
import "./analytics.css";
import { ChartsBoundary } from "./ChartsBoundary";
import { formatDateTime } from "./format";
import { KeyFigures } from "./KeyFigures";
import { metricsInput, searchOf, timeseriesInput, topInput, viewFromSearch, type ViewParams } from "./params";
import { TopContacts } from "./TopContacts";
import { ValuesForm } from "./ValuesForm";
import { ViewControls } from "./ViewControls";
import { Skeleton } from "../../components/Skeleton";

const Charts = lazy(() => import("./Charts"));

export interface AnalyticsPageProps {
  workspaceId: string;
  role: WorkspaceRole;
}

/** The dashboard: header and period, key figures, charts, top contacts and (owners/admins) the values form. */
export default function AnalyticsPage({ workspaceId, role }: AnalyticsPageProps) {
  const search = useSearch({ from: "/w/$workspaceId/analytics" });
  const view = useMemo(() => viewFromSearch(search), [search]);
  const navigate = useNavigate();
  const setView = (next: Partial<ViewParams>) =>
    void navigate({
      to: "/w/$workspaceId/analytics",
      params: { workspaceId },
      search: searchOf({ ...view, ...next }),
      replace: true,
      resetScroll: false,
    });

  const metrics = trpc.analytics.metrics.useQuery(metricsInput(workspaceId, view), {
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
  const top = trpc.analytics.topContacts.useQuery(topInput(workspaceId, view), {
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
  // Recomputed when the view changes; `from` moves once a day.
  const seriesInput = useMemo(() => timeseriesInput(workspaceId, view), [workspaceId, view]);
  const series = trpc.analytics.timeseries.useQuery(seriesInput, {
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });

  const ready = Boolean(metrics.data && series.data && top.data);
  return (
    <div
      className="an-page"
      data-analytics-state={ready ? "ready" : "loading"}
      aria-busy={metrics.isFetching || series.isFetching || top.isFetching}
    >
      <div className="an-head">
        <div>
          <h1>Analytics</h1>
          {/* The line keeps its place while loading, so the header does not jump. */}
          <p className="muted small an-asof">
            {metrics.data ? (
              <>
                As of <time dateTime={metrics.data.asOf.toISOString()}>{formatDateTime(metrics.data.asOf)}</time>
                {view.asOfDay ? " (end of the chosen day)" : ""}
                {metrics.data.cached ? ` · computed ${formatDateTime(metrics.data.computedAt)}` : ""}
              </>
            ) : (
              <span className="sk-bar sk-w60" aria-hidden="true" />
            )}
          </p>
        </div>
        <ViewControls view={view} onChange={setView} />
      </div>

      {metrics.isPending ? (
        <>
          <Skeleton shape="figures" rows={4} label="Loading analytics…" />
          <Skeleton shape="chart" label="Loading charts…" />
        </>
      ) : metrics.error && !metrics.data ? (
        <ErrorMessage
          error={metrics.error}
          title="Could not load the analytics"
          onRetry={() => void metrics.refetch()}
        />
      ) : metrics.data && metrics.data.contacts === 0 ? (
        <Empty>
          <p>
            <strong>No contacts yet</strong>
            {view.asOfDay ? " as of this day." : "."} Analytics appear once the workspace has contacts and interactions.
          </p>
          <p>
            <Link to="/w/$workspaceId/contacts" params={{ workspaceId }}>
              Go to contacts
            </Link>
          </p>
        </Empty>
      ) : metrics.data ? (
        <>
          <KeyFigures metrics={metrics.data} />
          <ChartsBoundary>
            <Suspense fallback={<Skeleton shape="chart" label="Loading charts…" />}>
              <Charts
                health={metrics.data.health.distribution}
                clv={metrics.data.clv.distribution}
                thresholds={metrics.data.settings.thresholds}
                series={series.data ? { buckets: series.data.buckets, bucket: series.data.bucket } : null}
                seriesError={series.error && !series.data ? describeError(series.error).message : null}
              />
            </Suspense>
          </ChartsBoundary>
          <TopContacts workspaceId={workspaceId} view={view} top={top} onSort={(sort) => setView({ sort })} />
        </>
      ) : null}

      {metrics.data && canManage(role) && <ValuesForm workspaceId={workspaceId} settings={metrics.data.settings} />}
    </div>
  );
}
