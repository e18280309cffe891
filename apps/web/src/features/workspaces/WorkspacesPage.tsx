import { useId } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useDocumentTitle } from "../../components/hooks";
import { Link } from "@tanstack/react-router";
import { trpc } from "../../trpc";
import { ROLE_LABELS } from "../shell/workspace";
import { CreateWorkspaceForm } from "./CreateWorkspaceForm";
import { Skeleton } from "../../components/Skeleton";

/** `/`: the workspaces the user belongs to, and a form to create one. */
export default function WorkspacesPage() {
  const workspaces = trpc.workspaces.list.useQuery();
  const id = useId();
  useDocumentTitle("Workspaces");

  return (
    <div className="stack-lg">
      <section aria-labelledby={`${id}-list`} className="stack">
        <h1 id={`${id}-list`}>Your workspaces</h1>
        {workspaces.isPending ? (
          <Skeleton shape="list" rows={3} label="Loading workspaces…" />
        ) : workspaces.error ? (
          <ErrorMessage
            error={workspaces.error}
            title="Could not load your workspaces"
            onRetry={() => void workspaces.refetch()}
          />
        ) : workspaces.data.length === 0 ? (
          <p className="empty">
            You are not in any workspace yet. Create one below, or ask a colleague to add you to theirs.
          </p>
        ) : (
          <ul className="workspace-list">
            {workspaces.data.map((workspace) => (
              <li key={workspace.id}>
                <Link className="workspace-link" to="/w/$workspaceId/today" params={{ workspaceId: workspace.id }}>
                  <span className="workspace-name">{workspace.name}</span>
                  <span className="badge">{ROLE_LABELS[workspace.role]}</span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card" aria-labelledby={`${id}-create`}>
        <h2 id={`${id}-create`}>Create a workspace</h2>
        <CreateWorkspaceForm />
      </section>
    </div>
  );
}
