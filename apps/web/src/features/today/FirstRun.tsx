import { Link } from "@tanstack/react-router";
import { useEffect, useId, useState, type ReactNode } from "react";
import { trpc } from "../../trpc";
import { canManage, type CurrentWorkspace } from "../shell/workspace";
import "./today.css";

type Step = {
  key: string;
  label: string;
  done: boolean;
  to: "/w/$workspaceId/contacts" | "/w/$workspaceId/integrations" | "/w/$workspaceId/members";
  action: string;
};

/** "started": the checklist was shown (the workspace was empty), so it stays until done or hidden. */
const key = (workspaceId: string) => `rapport.firstRun.${workspaceId}`;
function readState(workspaceId: string): string | null {
  try {
    return localStorage.getItem(key(workspaceId));
  } catch {
    return null;
  }
}
function writeState(workspaceId: string, state: "started" | "hidden") {
  try {
    localStorage.setItem(key(workspaceId), state);
  } catch {
    // Storage disabled: the checklist shows while the workspace is empty.
  }
}

/**
 * The state of a workspace's first steps, each read from the real data: contacts
 * imported from a CSV, the member's Gmail connection, contacts added by hand,
 * teammates (members, or invitations pending for those who may see them).
 */
function useFirstRun(workspace: CurrentWorkspace) {
  const workspaceId = workspace.id;
  // Each step may have been done on another page a moment ago: asked again whenever the checklist shows.
  const focus = { refetchOnWindowFocus: true, refetchOnMount: "always" } as const;
  const all = trpc.contacts.count.useQuery({ workspaceId }, focus);
  const imported = trpc.contacts.count.useQuery({ workspaceId, source: "import" }, focus);
  const manual = trpc.contacts.count.useQuery({ workspaceId, source: "manual" }, focus);
  const gmail = trpc.gmail.status.useQuery({ workspaceId }, focus);
  const members = trpc.workspaces.members.useQuery({ workspaceId }, focus);
  const invitations = trpc.invitations.listPending.useQuery(
    { workspaceId },
    { ...focus, enabled: canManage(workspace.role) },
  );
  const loaded = !all.isPending && !imported.isPending && !manual.isPending && !members.isPending;
  const steps: Step[] = [
    {
      key: "import",
      label: "Import your contacts from a CSV file",
      done: (imported.data?.count ?? 0) > 0,
      to: "/w/$workspaceId/contacts",
      action: "Import a CSV",
    },
    {
      key: "gmail",
      label: "Connect Gmail, so emails log themselves",
      done: gmail.data?.connected ?? false,
      to: "/w/$workspaceId/integrations",
      action: "Connect Gmail",
    },
    {
      key: "contact",
      label: "Add a contact by hand",
      done: (manual.data?.count ?? 0) > 0,
      to: "/w/$workspaceId/contacts",
      action: "Add a contact",
    },
    {
      key: "invite",
      label: "Invite a teammate",
      done: (members.data?.length ?? 0) > 1 || (invitations.data?.length ?? 0) > 0,
      to: "/w/$workspaceId/members",
      action: "Invite a teammate",
    },
  ];
  return { loaded, empty: all.data?.count === 0, steps };
}

/**
 * A short checklist for a workspace that is just starting: shown while it has no
 * contacts, and from then on (in this browser) until every step is done or it is hidden.
 * Established workspaces (the demo's, say) never see it.
 */
export function FirstRunChecklist({
  workspace,
  compact,
  otherwise = null,
}: {
  workspace: CurrentWorkspace;
  compact?: boolean;
  /** Shown instead when the checklist is not (the workspace is established, or the person hid it). */
  otherwise?: ReactNode;
}) {
  const id = useId();
  const { loaded, empty, steps } = useFirstRun(workspace);
  const [state, setState] = useState(() => readState(workspace.id));
  useEffect(() => {
    if (loaded && empty && state === null) {
      writeState(workspace.id, "started");
      setState("started");
    }
  }, [loaded, empty, state, workspace.id]);
  if (!loaded) return null;
  const remaining = steps.filter((step) => !step.done).length;
  if (state === "hidden" || (!empty && state !== "started") || (remaining === 0 && !empty)) return otherwise;

  return (
    <section className={compact ? "td-firstrun" : "card td-firstrun"} aria-labelledby={`${id}-title`}>
      <div className="td-firstrun-head">
        <h2 id={`${id}-title`}>Get started</h2>
        <p className="muted small" id={`${id}-progress`}>
          {steps.length - remaining} of {steps.length} done
        </p>
      </div>
      {!compact && <p className="muted">A few steps and Rapport starts telling you whom to reach out to.</p>}
      <ol className="td-steps" aria-describedby={`${id}-progress`}>
        {steps.map((step) => (
          <li key={step.key} className={step.done ? "td-step td-step-done" : "td-step"}>
            <span className="td-tick" aria-hidden="true">
              {step.done ? "✓" : ""}
            </span>
            <span className="td-step-label">
              {step.label}
              <span className="visually-hidden">{step.done ? " (done)" : " (to do)"}</span>
            </span>
            {!step.done && (
              <Link to={step.to} params={{ workspaceId: workspace.id }} className="td-step-link">
                {step.action}
              </Link>
            )}
          </li>
        ))}
      </ol>
      {!empty && (
        <button
          type="button"
          className="button-secondary button-small"
          onClick={() => {
            writeState(workspace.id, "hidden");
            setState("hidden");
          }}
        >
          Hide this checklist
        </button>
      )}
    </section>
  );
}
