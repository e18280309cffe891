import { Link } from "@tanstack/react-router";
import { ScheduledDeletion } from "../../components/ScheduledDeletion";
import { trpc } from "../../trpc";
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
  const scheduled = status.data?.scheduled;
  if (!scheduled) return null;
  return (
    <ScheduledDeletion subject={workspace.name} effectiveAt={scheduled.effectiveAt} className="ws-scheduled-notice">
      {scheduled.requestedByName ?? "An owner"} scheduled it. Its contacts, interactions, exports and cached data are
      then erased for good; until then everything works as usual.{" "}
      {workspace.role === "owner" ? (
        <Link to="/w/$workspaceId/members" params={{ workspaceId: workspace.id }} hash="delete-workspace">
          Cancel the deletion on the Members page
        </Link>
      ) : (
        "Ask an owner if it should stay."
      )}
    </ScheduledDeletion>
  );
}
