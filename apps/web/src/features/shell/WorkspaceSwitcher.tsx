import { Link, useMatches } from "@tanstack/react-router";
import { lazy, Suspense, useId } from "react";
import { trpc } from "../../trpc";
import { useDisclosure } from "./disclosure";
import { canManage, ROLE_LABELS, type CurrentWorkspace, type WorkspaceRole } from "./workspace";
import { Skeleton } from "../../components/Skeleton";

// Its own chunk: the form brings react-hook-form and zod, which the first page does not need.
const CreateWorkspaceForm = lazy(() =>
  import("../workspaces/CreateWorkspaceForm").then((module) => ({ default: module.CreateWorkspaceForm })),
);

type SwitchTarget =
  | "/w/$workspaceId/today"
  | "/w/$workspaceId/tasks"
  | "/w/$workspaceId/contacts"
  | "/w/$workspaceId/contacts/deleted"
  | "/w/$workspaceId/activity"
  | "/w/$workspaceId/members"
  | "/w/$workspaceId/audit"
  | "/w/$workspaceId/privacy"
  | "/w/$workspaceId/webhooks";

/** Where "switch to workspace X" goes: the same section there, when X allows it. */
function switchTarget(routeId: string | undefined, role: WorkspaceRole): SwitchTarget {
  switch (routeId) {
    case "/w/$workspaceId/today":
    case "/w/$workspaceId/tasks":
    case "/w/$workspaceId/activity":
    case "/w/$workspaceId/members":
    case "/w/$workspaceId/contacts/deleted":
      return routeId;
    case "/w/$workspaceId/audit":
    case "/w/$workspaceId/privacy":
    case "/w/$workspaceId/webhooks":
      return canManage(role) ? routeId : "/w/$workspaceId/contacts";
    default:
      return "/w/$workspaceId/contacts";
  }
}

/**
 * The top bar's workspace switcher: a disclosure button ("Workspace: <name>")
 * opening a panel with the workspaces as links and a create form.
 */
export function WorkspaceSwitcher({ current }: { current: CurrentWorkspace }) {
  const id = useId();
  const routeId = useMatches({ select: (matches) => matches.at(-1)?.routeId });
  const workspaces = trpc.workspaces.list.useQuery();
  const { open, toggle, close, rootRef, buttonRef } = useDisclosure<HTMLDivElement>();

  return (
    <div className="switcher" ref={rootRef}>
      <button
        ref={buttonRef}
        type="button"
        className="switcher-button"
        aria-expanded={open}
        aria-controls={`${id}-panel`}
        onClick={toggle}
      >
        <span className="visually-hidden">Workspace: </span>
        <span className="switcher-name">{current.name}</span>
        <span aria-hidden="true" className="switcher-caret">
          ▾
        </span>
      </button>
      <div id={`${id}-panel`} className="switcher-panel" hidden={!open}>
        <p id={`${id}-label`} className="switcher-heading">
          Switch workspace
        </p>
        {workspaces.isPending ? (
          <Skeleton shape="list" rows={2} label="Loading workspaces…" />
        ) : (
          <ul className="switcher-list" aria-labelledby={`${id}-label`}>
            {(workspaces.data ?? []).map((workspace) => (
              <li key={workspace.id}>
                <Link
                  to={switchTarget(routeId, workspace.role)}
                  params={{ workspaceId: workspace.id }}
                  activeProps={{}}
                  aria-current={workspace.id === current.id ? "page" : undefined}
                  className="switcher-link"
                >
                  <span className="switcher-link-name">{workspace.name}</span>
                  <span className="badge">{ROLE_LABELS[workspace.role]}</span>
                </Link>
              </li>
            ))}
          </ul>
        )}
        <p className="small">
          <Link to="/" activeProps={{}}>
            All workspaces
          </Link>
        </p>
        <div className="switcher-create">
          <p className="switcher-heading">New workspace</p>
          {open && (
            <Suspense fallback={<Skeleton shape="text" rows={2} label="Loading…" />}>
              <CreateWorkspaceForm onCreated={close} />
            </Suspense>
          )}
        </div>
      </div>
    </div>
  );
}
