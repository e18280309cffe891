import { useNow } from "../../components/hooks";
import { dateFormat } from "../../components/time";
import { Link } from "@tanstack/react-router";
import { trpc } from "../../trpc";
import { formatDays } from "../gdpr/format";
import type { CurrentWorkspace } from "../shell/workspace";
import "./lifecycle.css";

/** Seconds a member's view of the deletion status may be old (the notice is advance warning, not live). */
const STATUS_STALE_MS = 60_000;

export function useDeletionStatus(workspaceId: string) {
  return trpc.workspaces.deletionStatus.useQuery({ workspaceId }, { staleTime: STATUS_STALE_MS });
}

/**
 * Above every page of a workspace scheduled for deletion: when it goes, who asked,
 * and what a member can do (owners: cancel on the Members page; others: ask an owner,
 * export what they need). Nothing when no deletion is scheduled (or the status is unknown).
 */
export function DeletionScheduledNotice({ workspace }: { workspace: CurrentWorkspace }) {
  const status = useDeletionStatus(workspace.id);
  const now = useNow(60_000);
  const scheduled = status.data?.scheduled;
  if (!scheduled) return null;
  const left = scheduled.effectiveAt.getTime() - now;
  return (
    <div className="alert ws-scheduled" role="status">
      <p className="alert-title">
        {workspace.name} will be deleted on{" "}
        <time dateTime={scheduled.effectiveAt.toISOString()}>{dateFormat.format(scheduled.effectiveAt)}</time>
        {left > 0 ? ` (in ${formatDays(left)})` : ""}.
      </p>
      <p>
        {scheduled.requestedByName ?? "An owner"} scheduled it. Its contacts, interactions, exports and cached data are
        then erased for good; until then everything works as usual.{" "}
        {workspace.role === "owner" ? (
          <Link to="/w/$workspaceId/members" params={{ workspaceId: workspace.id }} hash="delete-workspace">
            Cancel the deletion on the Members page
          </Link>
        ) : (
          "Ask an owner if it should stay."
        )}
      </p>
    </div>
  );
}
