import { useId, useRef } from "react";
import { useForm } from "react-hook-form";
import { ErrorMessage } from "../../components/ErrorMessage";
import { ScheduledDeletion } from "../../components/ScheduledDeletion";
import { describeError, fieldError } from "../../errors";
import { accountDeletionInput } from "../../schemas";
import { trpc, type RouterInputs } from "../../trpc";
import { TextAreaField, TextField } from "../../components/fields";
import { schemaResolver } from "../../components/form";
import { SoleOwnerBlockers, useBlockingWorkspaces } from "./SoleOwnerBlockers";
import { Skeleton } from "../../components/Skeleton";

/** What the person types to unlock "Schedule account deletion". */
const CONFIRM_WORD = "DELETE";

interface Values {
  reason: string;
  password: string;
  confirmation: string;
}

/** The calling user's own requests (shared by the history table and this form). */
export function useMyOperations() {
  return trpc.gdpr.myOperations.useQuery({ limit: 100 });
}

/**
 * "Delete my account" (GDPR Art. 17): reason, password and a typed
 * confirmation; the server schedules the erasure after a grace period. While
 * one is scheduled, its date and "Cancel deletion" replace the form.
 */
export function DeleteAccount() {
  const id = useId();
  const utils = trpc.useUtils();
  const operations = useMyOperations();
  const form = useForm<Values, unknown, RouterInputs["gdpr"]["requestDeletion"]>({
    mode: "onTouched",
    defaultValues: { reason: "", password: "", confirmation: "" },
    resolver: schemaResolver(accountDeletionInput, (values: Values) => ({
      reason: values.reason,
      password: values.password,
    })),
  });
  const formRef = useRef<HTMLFormElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  // Resolving only after the history is fresh, so the page never shows the old state in between.
  const refresh = () => utils.gdpr.myOperations.invalidate();
  const request = trpc.gdpr.requestDeletion.useMutation({
    onSuccess: async () => {
      form.resetField("password");
      form.resetField("confirmation");
      await refresh();
      requestAnimationFrame(() => cancelRef.current?.focus());
    },
    onError: (error) => {
      // A refusal may name workspaces this page listed differently (e.g. handed over meanwhile).
      void utils.workspaces.soleOwned.invalidate();
      const invalid = fieldError(error, "reason")
        ? "reason"
        : fieldError(error, "password") || describeError(error).code === "FORBIDDEN"
          ? "password"
          : null;
      if (invalid)
        requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>(`[name="${invalid}"]`)?.focus());
    },
  });
  const cancel = trpc.gdpr.cancelDeletion.useMutation({
    onSuccess: async () => {
      request.reset();
      await refresh();
      // "Cancel deletion" is gone: keep the keyboard in this section.
      requestAnimationFrame(() => headingRef.current?.focus());
    },
  });

  const pending = operations.data?.find(
    (operation) => operation.type === "user_deletion" && operation.status === "pending",
  );
  const scheduled = pending?.effectiveAt
    ? {
        effectiveAt: pending.effectiveAt,
        warning: request.data?.deletionId === pending.id ? request.data.warning : null,
      }
    : request.data && !cancel.isSuccess
      ? { effectiveAt: request.data.effectiveAt, warning: request.data.warning }
      : null;

  const confirmed = form.watch("confirmation").trim() === CONFIRM_WORD;
  const info = request.error ? describeError(request.error) : null;
  const serverReasonError = fieldError(request.error, "reason");
  const reasonError = form.formState.errors.reason?.message ?? serverReasonError;
  // A wrong password is FORBIDDEN "Password is incorrect." — it belongs next to the field, not in a banner.
  const serverPasswordError =
    fieldError(request.error, "password") ?? (info?.code === "FORBIDDEN" ? info.message : undefined);
  const passwordError = form.formState.errors.password?.message ?? serverPasswordError;
  const soleOwnerRefusal =
    info?.code === "CONFLICT" && (Array.isArray(info.details.workspaceIds) || Array.isArray(info.details.workspaces));
  const blocking = useBlockingWorkspaces();
  const otherError = request.error && !serverReasonError && !serverPasswordError ? request.error : null;

  const submit = form.handleSubmit((input) => {
    if (!confirmed) return;
    cancel.reset();
    request.mutate(input);
  });

  return (
    <section className="card stack pv-danger-card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} ref={headingRef} tabIndex={-1}>
        Delete my account
      </h2>
      {operations.isPending && !scheduled ? (
        <Skeleton shape="text" rows={2} label="Checking for a scheduled deletion…" />
      ) : scheduled ? (
        <div className="stack-sm">
          <ScheduledDeletion subject="Your account" effectiveAt={scheduled.effectiveAt}>
            {scheduled.warning ??
              "Your account and personal data will then be erased irreversibly. You can keep using Rapport and cancel until then."}
          </ScheduledDeletion>
          <p>
            <button
              ref={cancelRef}
              type="button"
              className="button-secondary"
              onClick={() => cancel.mutate()}
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
              Deletion cancelled. Your account stays as it is.
            </p>
          )}
          <p>
            Your account, your sign-in sessions and the personal data Rapport holds about you are erased for good after
            a grace period, during which you can cancel. Contacts and interactions you added stay with their workspaces,
            without your name.
          </p>
          {!soleOwnerRefusal && <SoleOwnerBlockers workspaces={blocking} />}
          {operations.error && (
            <ErrorMessage
              error={operations.error}
              title="Could not check for a scheduled deletion"
              onRetry={() => void operations.refetch()}
            />
          )}
          <form
            ref={formRef}
            className="pv-form-grid"
            onSubmit={(event) => void submit(event)}
            noValidate
            aria-describedby={`${id}-gate`}
          >
            <TextAreaField
              className="pv-span-all"
              label="Reason"
              required
              maxLength={1000}
              rows={3}
              hint="Recorded with your request; a few words are enough."
              error={reasonError}
              {...form.register("reason")}
            />
            <TextField
              label="Password"
              type="password"
              autoComplete="current-password"
              required
              hint="Your current password, to confirm it is you."
              error={passwordError}
              {...form.register("password")}
            />
            <TextField
              label={`Type ${CONFIRM_WORD} to confirm`}
              autoComplete="off"
              autoCapitalize="characters"
              spellCheck={false}
              required
              hint={`In capitals. This unlocks the button below.`}
              {...form.register("confirmation")}
            />
            <div className="pv-span-all stack-sm">
              <p id={`${id}-gate`} className="small muted" aria-live="polite">
                {confirmed
                  ? "Confirmed. Scheduling can be cancelled until the date shown afterwards."
                  : `Type ${CONFIRM_WORD} above to enable the button.`}
              </p>
              <div className="button-row">
                <button type="submit" className="button-danger" disabled={!confirmed || request.isPending}>
                  {request.isPending ? "Scheduling…" : "Schedule account deletion"}
                </button>
              </div>
            </div>
          </form>
          {otherError && (
            <ErrorMessage error={otherError} title="Could not schedule the deletion">
              {soleOwnerRefusal && info && <RefusalBlockers details={info.details} />}
            </ErrorMessage>
          )}
        </>
      )}
    </section>
  );
}

/** The refusal's blocking workspaces (server details), named from the workspace list when the details carry no names. */
function RefusalBlockers({ details }: { details: Record<string, unknown> }) {
  const workspaces = trpc.workspaces.list.useQuery();
  const names = new Map((workspaces.data ?? []).map((workspace) => [workspace.id, workspace.name]));
  const listed = Array.isArray(details.workspaces)
    ? (details.workspaces as { id: string; name: string; members?: number }[]).map((w) => ({
        id: String(w.id),
        name: String(w.name),
        members: w.members,
      }))
    : Array.isArray(details.workspaceIds)
      ? details.workspaceIds.map((id) => ({ id: String(id), name: names.get(String(id)) ?? "the workspace" }))
      : [];
  return (
    <SoleOwnerBlockers workspaces={listed} intro="Transfer each of these workspaces to another member, or delete it:" />
  );
}
