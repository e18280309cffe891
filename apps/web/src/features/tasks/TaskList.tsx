import { Link } from "@tanstack/react-router";
import { useState } from "react";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { formatAbsolute, formatRelative } from "../../components/time";
import { trpc } from "../../trpc";
import { showToast } from "../../components/toast";
import { FollowUpDialog, type ListedTask } from "./FollowUpDialog";

/** Complete (with Undo), reopen and delete a follow-up; every list of follow-ups refetches after. */
function useTaskActions(workspaceId: string) {
  const utils = trpc.useUtils();
  const refresh = () => utils.tasks.list.invalidate({ workspaceId });
  const reopen = trpc.tasks.reopen.useMutation({ onSettled: refresh });
  const complete = trpc.tasks.complete.useMutation({
    onSettled: refresh,
    onSuccess: (task) =>
      showToast({
        message: `Done: ${task.title}`,
        action: {
          label: "Undo",
          run: () =>
            reopen
              .mutateAsync({ workspaceId, taskId: task.id })
              .then(() => void showToast({ message: "Follow-up reopened." }))
              .catch(() => void showToast({ message: "Could not reopen the follow-up.", tone: "error" })),
        },
      }),
  });
  const remove = trpc.tasks.delete.useMutation({
    onSettled: refresh,
    onSuccess: () => showToast({ message: "Follow-up deleted." }),
  });
  return { complete, reopen, remove };
}

/**
 * Follow-ups as a list: a checkbox completes one in one click (or reopens a done one),
 * with its due time, the contact it is about and, for everyone's, whom it is assigned to.
 */
export function TaskList({
  workspaceId,
  tasks,
  label,
  now,
  assignees,
  hideContact,
}: {
  workspaceId: string;
  tasks: ListedTask[];
  label: string;
  now: number;
  /** Member names by id: shown when the list holds other people's follow-ups. */
  assignees?: Map<string, string>;
  /** On a contact's own page its name goes without saying. */
  hideContact?: boolean;
}) {
  const actions = useTaskActions(workspaceId);
  const [editing, setEditing] = useState<ListedTask | null>(null);
  const [deleting, setDeleting] = useState<ListedTask | null>(null);
  const error = actions.complete.error ?? actions.reopen.error;
  return (
    <>
      <ul className="tk-list" aria-label={label}>
        {tasks.map((task) => {
          const done = task.completedAt !== null;
          const busy =
            (actions.complete.isPending && actions.complete.variables?.taskId === task.id) ||
            (actions.reopen.isPending && actions.reopen.variables?.taskId === task.id);
          const assignee = task.assigneeId ?? task.createdBy;
          return (
            <li
              key={task.id}
              className={`tk-item${done ? " tk-done" : ""}${task.overdue && !done ? " tk-overdue" : ""}`}
            >
              <input
                type="checkbox"
                className="tk-check"
                checked={done}
                disabled={busy}
                aria-label={done ? `Reopen: ${task.title}` : `Complete: ${task.title}`}
                onChange={() => (done ? actions.reopen : actions.complete).mutate({ workspaceId, taskId: task.id })}
              />
              <div className="tk-body">
                <span className="tk-title">{task.title}</span>
                <span className="tk-meta small">
                  <time
                    dateTime={task.dueAt.toISOString()}
                    title={formatAbsolute(task.dueAt)}
                    className={task.overdue && !done ? "tk-late" : "muted"}
                  >
                    {done ? "was due " : task.overdue ? "overdue, was due " : "due "}
                    {formatRelative(task.dueAt, now)}
                  </time>
                  {!hideContact && task.contactId && task.contactName && (
                    <>
                      <span aria-hidden="true"> · </span>
                      <Link
                        to="/w/$workspaceId/contacts/$contactId"
                        params={{ workspaceId, contactId: task.contactId }}
                      >
                        {task.contactName}
                      </Link>
                    </>
                  )}
                  {assignees && assignee && (
                    <>
                      <span aria-hidden="true"> · </span>
                      <span className="muted">{assignees.get(assignee) ?? "a former member"}</span>
                    </>
                  )}
                </span>
              </div>
              <div className="tk-actions">
                {!done && (
                  <button
                    type="button"
                    className="button-secondary button-small"
                    aria-label={`Edit: ${task.title}`}
                    onClick={() => setEditing(task)}
                  >
                    Edit
                  </button>
                )}
                <button
                  type="button"
                  className="button-secondary button-small"
                  aria-label={`Delete: ${task.title}`}
                  onClick={() => setDeleting(task)}
                >
                  Delete
                </button>
              </div>
            </li>
          );
        })}
      </ul>
      {error && <ErrorMessage error={error} title="Could not change the follow-up" />}
      {editing && <FollowUpDialog workspaceId={workspaceId} task={editing} onClose={() => setEditing(null)} />}
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this follow-up?"
        confirmLabel="Yes, delete"
        destructive
        pending={actions.remove.isPending}
        error={actions.remove.error ? <ErrorMessage error={actions.remove.error} /> : null}
        onConfirm={() =>
          deleting &&
          actions.remove.mutate({ workspaceId, taskId: deleting.id }, { onSuccess: () => setDeleting(null) })
        }
        onCancel={() => setDeleting(null)}
      >
        <p>{deleting?.title}</p>
      </ConfirmDialog>
    </>
  );
}
