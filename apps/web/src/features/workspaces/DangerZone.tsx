import { useId, useRef } from "react";
import { useForm } from "react-hook-form";
import { ErrorMessage } from "../../components/ErrorMessage";
import { TextField } from "../../components/fields";
import { schemaResolver } from "../../components/form";
import { ScheduledDeletion } from "../../components/ScheduledDeletion";
import { describeError, fieldError } from "../../errors";
import { workspaceDeletionInput } from "../../schemas";
import { trpc, type RouterInputs } from "../../trpc";
import type { CurrentWorkspace } from "../shell/workspace";
import { useDeletionStatus } from "./DeletionScheduledNotice";
import { useAnchorFocus } from "./TransferOwnership";
import "./lifecycle.css";
import { Skeleton } from "../../components/Skeleton";

/** The server's rule: the name exactly, ends trimmed (see packages/core/src/workspace-lifecycle.ts). */
function nameTyped(typed: string, name: string) {
  return typed.trim() === name.trim() && name.trim().length > 0;
}

/**
 * "Delete this workspace" (owners): typing the workspace's name schedules its
 * deletion after the grace period; while scheduled, the date and "Cancel deletion".
 */
export function DangerZone({ workspace }: { workspace: CurrentWorkspace }) {
  const id = useId();
  const headingRef = useAnchorFocus("delete-workspace");
  const cancelRef = useRef<HTMLButtonElement>(null);
  const utils = trpc.useUtils();
  const status = useDeletionStatus(workspace.id);
  const form = useForm<{ confirmation: string }, unknown, RouterInputs["workspaces"]["requestDeletion"]>({
    defaultValues: { confirmation: "" },
    // The button stays locked until the name matches (no Enter around it: a disabled default button blocks implicit submission).
    resolver: schemaResolver(workspaceDeletionInput, (values: { confirmation: string }) => ({
      workspaceId: workspace.id,
      confirmation: values.confirmation,
    })),
  });

  const refresh = () =>
    Promise.all([
      utils.workspaces.deletionStatus.invalidate({ workspaceId: workspace.id }),
      utils.workspaces.soleOwned.invalidate(),
      utils.gdpr.myOperations.invalidate(),
    ]);
  const request = trpc.workspaces.requestDeletion.useMutation({
    onSuccess: async () => {
      form.reset();
      await refresh();
      requestAnimationFrame(() => cancelRef.current?.focus());
    },
  });
  const cancel = trpc.workspaces.cancelDeletion.useMutation({
    onSuccess: async () => {
      request.reset();
      await refresh();
      requestAnimationFrame(() => headingRef.current?.focus());
    },
  });

  const scheduled = status.data?.scheduled ?? null;
  const confirmed = nameTyped(form.watch("confirmation"), workspace.name);
  const confirmationError =
    form.formState.errors.confirmation?.message ??
    fieldError(request.error, "confirmation") ??
    (request.error && describeError(request.error).code === "BAD_REQUEST"
      ? describeError(request.error).message
      : undefined);

  const submit = form.handleSubmit((input) => {
    cancel.reset();
    request.mutate(input);
  });

  return (
    <section id="delete-workspace" className="card stack ws-danger-card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} ref={headingRef} tabIndex={-1}>
        Delete this workspace
      </h2>
      {status.isPending ? (
        <Skeleton shape="text" rows={2} label="Checking for a scheduled deletion…" />
      ) : scheduled ? (
        <div className="stack-sm">
          <ScheduledDeletion subject={workspace.name} effectiveAt={scheduled.effectiveAt}>
            {request.data?.warning ??
              "Its contacts, interactions, exports and cached data will then be erased for good. Any owner can cancel until then."}
          </ScheduledDeletion>
          <p>
            <button
              ref={cancelRef}
              type="button"
              className="button-secondary"
              onClick={() => cancel.mutate({ workspaceId: workspace.id })}
              disabled={cancel.isPending}
            >
              {cancel.isPending ? "Cancelling…" : "Cancel deletion"}
            </button>
          </p>
          <ErrorMessage error={cancel.error} title="Could not cancel the deletion" />
        </div>
      ) : (
        <>
          {cancel.isSuccess && (
            <p className="alert alert-success" role="status">
              Deletion cancelled. {workspace.name} stays as it is.
            </p>
          )}
          <p>
            Every contact, interaction, export and cached result of {workspace.name} is erased for good after a grace
            period, during which the workspace keeps working, its members see a notice and any owner can cancel. The
            audit log keeps only anonymous ids.
          </p>
          {status.error && (
            <ErrorMessage
              error={status.error}
              title="Could not check for a scheduled deletion"
              onRetry={() => void status.refetch()}
            />
          )}
          <form
            className="stack-sm"
            onSubmit={(event) => void submit(event)}
            noValidate
            aria-describedby={`${id}-gate`}
          >
            <TextField
              label={`Type the workspace's name, ${workspace.name}, to confirm`}
              autoComplete="off"
              spellCheck={false}
              required
              error={confirmationError}
              {...form.register("confirmation")}
            />
            <p id={`${id}-gate`} className="small muted" aria-live="polite">
              {confirmed
                ? "Confirmed. The deletion can be cancelled until the date shown afterwards."
                : "Type the name exactly (capitals count) to enable the button."}
            </p>
            <div className="button-row">
              <button type="submit" className="button-danger" disabled={!confirmed || request.isPending}>
                {request.isPending ? "Scheduling…" : "Schedule workspace deletion"}
              </button>
            </div>
          </form>
          {request.error && !confirmationError && (
            <ErrorMessage error={request.error} title="Could not schedule the deletion" />
          )}
        </>
      )}
    </section>
  );
}
