import { useId, useState, type FormEvent } from "react";
import { ErrorMessage } from "../components/ErrorMessage";
import { navigate } from "../router";
import { trpc } from "../trpc";

export function WorkspacesPage() {
  const workspaces = trpc.workspaces.list.useQuery();
  const utils = trpc.useUtils();
  const [name, setName] = useState("");
  const create = trpc.workspaces.create.useMutation({
    onSuccess: async (workspace) => {
      setName("");
      await utils.workspaces.list.invalidate();
      navigate(`/w/${workspace.id}`);
    },
  });
  const id = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name });
  };

  return (
    <div className="stack-lg">
      <section aria-labelledby={`${id}-list`}>
        <h1 id={`${id}-list`}>Your workspaces</h1>
        {workspaces.isPending ? (
          <p className="muted" role="status">
            Loading workspaces…
          </p>
        ) : workspaces.error ? (
          <ErrorMessage error={workspaces.error}>
            <button type="button" className="button-secondary" onClick={() => void workspaces.refetch()}>
              Try again
            </button>
          </ErrorMessage>
        ) : workspaces.data.length === 0 ? (
          <p className="muted">You are not in any workspace yet. Create one below.</p>
        ) : (
          <ul className="workspace-list">
            {workspaces.data.map((workspace) => (
              <li key={workspace.id}>
                <a
                  className="workspace-link"
                  href={`/w/${workspace.id}`}
                  onClick={(event) => {
                    event.preventDefault();
                    navigate(`/w/${workspace.id}`);
                  }}
                >
                  <span className="workspace-name">{workspace.name}</span>
                  <span className="badge">{workspace.role}</span>
                </a>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card" aria-labelledby={`${id}-create`}>
        <h2 id={`${id}-create`}>Create a workspace</h2>
        <form className="inline-form" onSubmit={submit} noValidate>
          <div className="field grow">
            <label htmlFor={`${id}-name`}>Workspace name</label>
            <input
              id={`${id}-name`}
              required
              maxLength={100}
              value={name}
              onChange={(event) => setName(event.target.value)}
            />
          </div>
          <button type="submit" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create"}
          </button>
        </form>
        <ErrorMessage error={create.error} />
      </section>
    </div>
  );
}
