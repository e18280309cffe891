import { zodResolver } from "@hookform/resolvers/zod";
import { useNavigate } from "@tanstack/react-router";
import { createWorkspaceInput } from "../../schemas";
import { useId } from "react";
import { useForm } from "react-hook-form";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useRetryAfter } from "../../components/hooks";
import { fieldError } from "../../errors";
import { useCurrentUser } from "../../session";
import { trpc } from "../../trpc";
import { rememberWorkspace } from "../shell/lastWorkspace";

/**
 * "Workspace name" + "Create workspace"; opens the new workspace on success.
 * The name is checked with the server's own schema before anything is sent;
 * the server's answer still wins (its errors show on the same field).
 */
export function CreateWorkspaceForm({ onCreated }: { onCreated?: () => void }) {
  const id = useId();
  const user = useCurrentUser();
  const navigate = useNavigate();
  const utils = trpc.useUtils();
  const form = useForm({ resolver: zodResolver(createWorkspaceInput), defaultValues: { name: "" } });
  const create = trpc.workspaces.create.useMutation({
    onSuccess: async (workspace) => {
      form.reset();
      rememberWorkspace(user.id, workspace.id);
      await utils.workspaces.list.invalidate();
      onCreated?.();
      await navigate({ to: "/w/$workspaceId/today", params: { workspaceId: workspace.id } });
    },
  });
  const wait = useRetryAfter(create.error);
  const nameError = form.formState.errors.name?.message ?? fieldError(create.error, "name");

  const submit = form.handleSubmit((input) => {
    create.mutate(input);
  });

  return (
    <form className="stack-sm" onSubmit={(event) => void submit(event)} noValidate>
      <div className="inline-form">
        <div className="field grow">
          <label htmlFor={`${id}-name`}>Workspace name</label>
          <input
            id={`${id}-name`}
            required
            maxLength={100}
            autoComplete="off"
            aria-invalid={nameError ? true : undefined}
            aria-describedby={nameError ? `${id}-name-error` : undefined}
            {...form.register("name")}
          />
          {nameError && (
            <p id={`${id}-name-error`} className="field-error">
              {nameError}
            </p>
          )}
        </div>
        <button type="submit" disabled={create.isPending || wait > 0}>
          {create.isPending ? "Creating…" : "Create workspace"}
        </button>
      </div>
      <ErrorMessage error={create.error} title="Could not create the workspace" />
    </form>
  );
}
