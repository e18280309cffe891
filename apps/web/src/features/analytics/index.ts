/**
 * Analytics feature: the dashboard at /w/:ws/analytics.
 *
 * The export below is a tiny wrapper (it stays in the main bundle): it starts
 * the page's three requests and the chart library download at once, while the
 * page's own chunk loads; the page then finds its data in the query cache.
 */
import { useSearch } from "@tanstack/react-router";
import { createElement, lazy, Suspense, useEffect } from "react";
import { Skeleton } from "../../components/Skeleton";
import { trpc } from "../../trpc";
import type { AnalyticsPageProps } from "./AnalyticsPage";
import { metricsInput, timeseriesInput, topInput, viewFromSearch } from "./params";

const PageChunk = lazy(() => import("./AnalyticsPage"));

export function AnalyticsPage(props: AnalyticsPageProps) {
  const utils = trpc.useUtils();
  const search = useSearch({ from: "/w/$workspaceId/analytics" });
  // biome-ignore lint/correctness/useExhaustiveDependencies: the view the page opens with
  useEffect(() => {
    const view = viewFromSearch(search);
    void utils.analytics.metrics.prefetch(metricsInput(props.workspaceId, view));
    void utils.analytics.topContacts.prefetch(topInput(props.workspaceId, view));
    void utils.analytics.timeseries.prefetch(timeseriesInput(props.workspaceId, view));
    void import("./Charts");
  }, [utils, props.workspaceId]);
  return createElement(
    Suspense,
    { fallback: createElement(Skeleton, { shape: "page", rows: 6, label: "Loading analytics…" }) },
    createElement(PageChunk, { key: props.workspaceId, ...props }),
  );
}
