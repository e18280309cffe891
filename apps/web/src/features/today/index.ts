/**
 * Today feature: the workspace's home at /w/:ws/today.
 *
 * The export below is a tiny wrapper (it stays in the main bundle): it starts the
 * page's requests while the page's own chunk downloads; the page then finds its
 * data in the query cache.
 */
import { createElement, lazy, Suspense, useEffect } from "react";
import { trpc } from "../../trpc";
import { dueTasksInput, healthInput, recentActivityInput, reconnectInput } from "./params";

const PageChunk = lazy(() => import("./TodayPage"));

export function TodayPage({ workspaceId }: { workspaceId: string }) {
  const utils = trpc.useUtils();
  useEffect(() => {
    void utils.tasks.list.prefetch(dueTasksInput(workspaceId, "overdue"));
    void utils.tasks.list.prefetch(dueTasksInput(workspaceId, "today"));
    void utils.reconnect.list.prefetch(reconnectInput(workspaceId));
    void utils.activity.list.prefetch(recentActivityInput(workspaceId));
    void utils.analytics.metrics.prefetch(healthInput(workspaceId));
  }, [utils, workspaceId]);
  return createElement(
    Suspense,
    { fallback: createElement("p", { className: "muted", role: "status" }, "Loading Today…") },
    createElement(PageChunk, { key: workspaceId }),
  );
}
