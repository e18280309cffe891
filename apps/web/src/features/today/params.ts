import { localTimeZone } from "../../components/time";
import { metricsInput, viewFromSearch } from "../analytics/params";

/** The Today page's queries, shared by the page and the wrapper that prefetches them. */
const RECONNECT_LIMIT = 10;
const RECENT_ACTIVITY = 8;

export function dueTasksInput(workspaceId: string, view: "overdue" | "today") {
  return { workspaceId, assignee: "me" as const, view, timeZone: localTimeZone(), limit: 20 };
}

export function reconnectInput(workspaceId: string) {
  return { workspaceId, limit: RECONNECT_LIMIT };
}

export function recentActivityInput(workspaceId: string) {
  return { workspaceId, limit: RECENT_ACTIVITY };
}

/** The analytics dashboard's default view: Today and Analytics share its cached metrics. */
export function healthInput(workspaceId: string) {
  return metricsInput(workspaceId, viewFromSearch({}));
}
