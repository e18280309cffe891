/**
 * Analytics feature: the dashboard at /w/:ws/analytics.
 *
 * The export below is a tiny wrapper (it stays in the main bundle): it starts
 * the page's three requests and the chart library download at once, while the
 * page's own chunk loads; the page then finds its data in the query cache.
 *
 * Stable accessible names (for E2E tests):
 *   heading level 1 "Analytics"; text "As of …"
 *   date field "As of" (empty = now), button "Today"; select "Chart range" (Last 30 days, Last 90 days, Last 12 months)
 *   region "Key figures": groups "Average CLV", "Average health", "Active contacts (30 days)", "Interactions (30 days)",
 *     each with its value and a "… vs the previous 30 days" line
 *   figures (role img inside) "Relationship health" (doughnut), "Interactions by type" (line), "CLV distribution" (bar),
 *     each with a caption summarizing the data and a "Show data" disclosure with a table
 *   table "Top contacts" with sort buttons "CLV", "Interactions", "Last contact", "Health" (aria-sort on the active column),
 *     each name a link to the contact
 *   buttons "Export CSV", "Export Excel"
 *   owners/admins: disclosure "Interaction values" → fields "Email", "Meeting", "Call", "LinkedIn", "Note",
 *     "Medium from", "High from"; buttons "Save values", "Reset to defaults"
 *   empty workspace: text "No contacts yet"; loading: status "Loading analytics…"
 */
import { createElement, lazy, Suspense, useEffect } from "react";
import { trpc } from "../../trpc";
import type { AnalyticsPageProps } from "./AnalyticsPage";
import { metricsInput, timeseriesInput, topInput, viewFromSearch } from "./params";

const PageChunk = lazy(() => import("./AnalyticsPage"));

export function AnalyticsPage(props: AnalyticsPageProps) {
  const utils = trpc.useUtils();
  useEffect(() => {
    const view = viewFromSearch(window.location.search);
    void utils.analytics.metrics.prefetch(metricsInput(props.workspaceId, view));
    void utils.analytics.topContacts.prefetch(topInput(props.workspaceId, view));
    void utils.analytics.timeseries.prefetch(timeseriesInput(props.workspaceId, view));
    void import("./Charts");
  }, [utils, props.workspaceId]);
  return createElement(
    Suspense,
    { fallback: createElement("p", { className: "muted", role: "status" }, "Loading analytics…") },
    createElement(PageChunk, { key: props.workspaceId, ...props }),
  );
}
