import { useId, useState, type FormEvent } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useRetryAfter } from "../../components/hooks";
import { fieldError } from "../../errors";
import { navigate, paths } from "../../router";
import { useCurrentUser } from "../../session";
import { trpc } from "../../trpc";
import { rememberWorkspace } from "../shell/lastWorkspace";

/** "Workspace name" + "Create workspace"; opens the new workspace on success. */
export function CreateWorkspaceForm({ onCreated }: { onCreated?: () => void }) {
  const id = useId();
  const user = useCurrentUser();
  const utils = trpc.useUtils();
  const [name, setName] = useState("");
  const create = trpc.workspaces.create.useMutation({
    onSuccess: async (workspace) => {
      setName("");
      rememberWorkspace(user.id, workspace.id);
      await utils.workspaces.list.invalidate();
      onCreated?.();
      navigate(paths.contacts(workspace.id));
    },
  });
  const wait = useRetryAfter(create.error);
  const nameError = fieldError(create.error, "name");

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name });
  };

  return (
    <form className="stack-sm" onSubmit={submit} noValidate>
      <div className="inline-form">
        <div className="field grow">
          <label htmlFor={`${id}-name`}>Workspace name</label>
          <input
            id={`${id}-name`}
            required
            maxLength={100}
            autoComplete="off"
            value={name}
            aria-invalid={nameError ? true : undefined}
            aria-describedby={nameError ? `${id}-name-error` : undefined}
            onChange={(event) => setName(event.target.value)}
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
