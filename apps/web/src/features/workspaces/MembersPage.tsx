import { useNavigate } from "@tanstack/react-router";
import { useId, useState } from "react";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useCurrentUser } from "../../session";
import { trpc, type RouterOutputs } from "../../trpc";
import { rememberWorkspace } from "../shell/lastWorkspace";
import { DangerZone } from "./DangerZone";
import { TransferOwnership } from "./TransferOwnership";
import { canManage, ROLE_LABELS, useWorkspace, type WorkspaceRole } from "../shell/workspace";
import { Invitations } from "./Invitations";
import { WorkspaceSettings } from "./WorkspaceSettings";
import { Skeleton } from "../../components/Skeleton";

type Member = RouterOutputs["workspaces"]["members"][number];

const ROLES: WorkspaceRole[] = ["member", "admin", "owner"];
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** Roles `actor` may hand out (admins cannot create owners). */
function grantableRoles(actor: WorkspaceRole): WorkspaceRole[] {
  return actor === "owner" ? ROLES : actor === "admin" ? ["member", "admin"] : [];
}

/** Admins manage members and admins; owners manage everyone; members nobody. */
function canTouch(actor: WorkspaceRole, target: WorkspaceRole): boolean {
  return actor === "owner" || (actor === "admin" && target !== "owner");
}

/** What just happened (or failed) to one member, shown above the list. */
type Outcome = { kind: "done"; text: string } | { kind: "failed"; title: string; error: unknown } | null;

export default function MembersPage() {
  const workspace = useWorkspace();
  const me = useCurrentUser();
  const navigate = useNavigate();
  const id = useId();
  const utils = trpc.useUtils();
  const members = trpc.workspaces.members.useQuery({ workspaceId: workspace.id });
  const manage = canManage(workspace.role);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [leaving, setLeaving] = useState(false);

  const refresh = async (includeMine: boolean) => {
    await utils.workspaces.members.invalidate({ workspaceId: workspace.id });
    if (includeMine) await utils.workspaces.list.invalidate();
  };

  const setRole = trpc.workspaces.setRole.useMutation();
  const remove = trpc.workspaces.removeMember.useMutation();
  const leave = trpc.workspaces.removeMember.useMutation({
    onSuccess: async () => {
      rememberWorkspace(me.id, null);
      void navigate({ to: "/" });
      await utils.workspaces.list.invalidate();
    },
  });

  const changeRole = (member: Member, role: WorkspaceRole) => {
    setOutcome(null);
    setRole.mutate(
      { workspaceId: workspace.id, userId: member.userId, role },
      {
        onSuccess: () => {
          setOutcome({
            kind: "done",
            text: `${member.name} is now ${role === "admin" ? "an" : "a"} ${ROLE_LABELS[role].toLowerCase()}.`,
          });
          void refresh(member.userId === me.id);
        },
        onError: (error) => setOutcome({ kind: "failed", title: `Could not change the role of ${member.name}`, error }),
      },
    );
  };

  const confirmRemove = () => {
    if (!removing) return;
    const member = removing;
    remove.mutate(
      { workspaceId: workspace.id, userId: member.userId },
      {
        onSuccess: () => {
          setRemoving(null);
          setOutcome({ kind: "done", text: `${member.name} was removed from ${workspace.name}.` });
          void refresh(false);
        },
      },
    );
  };

  const list = members.data ?? [];
  const pendingUser = setRole.isPending ? setRole.variables?.userId : undefined;

  return (
    <div className="stack-lg">
      <div className="page-head">
        <h1>Members</h1>
        <span className="badge">You: {ROLE_LABELS[workspace.role]}</span>
      </div>

      {manage ? (
        <Invitations workspaceId={workspace.id} roles={grantableRoles(workspace.role)} />
      ) : (
        <p className="muted">Only owners and admins can invite people or change roles.</p>
      )}

      <section aria-labelledby={`${id}-people`} className="stack">
        <h2 id={`${id}-people`}>People{members.data ? ` (${list.length})` : ""}</h2>
        <div aria-live="polite">
          {outcome?.kind === "done" && <p className="alert alert-success">{outcome.text}</p>}
        </div>
        {outcome?.kind === "failed" && <ErrorMessage error={outcome.error} title={outcome.title} />}

        {members.isPending ? (
          <Skeleton shape="table" rows={4} label="Loading members…" />
        ) : members.error ? (
          <ErrorMessage
            error={members.error}
            title="Could not load the members"
            onRetry={() => void members.refetch()}
          />
        ) : list.length === 0 ? (
          <p className="empty">No members.</p>
        ) : (
          <ul className="member-list" aria-label={`Members of ${workspace.name}`}>
            {list.map((member) => {
              const self = member.userId === me.id;
              const editable = manage && canTouch(workspace.role, member.role);
              const options = grantableRoles(workspace.role);
              return (
                <li key={member.userId} className="member-row">
                  <div className="member-info">
                    <span className="member-name">
                      {member.name}
                      {self && <span className="muted"> (you)</span>}
                    </span>
                    <span className="muted small truncate" title={member.email}>
                      {member.email}
                    </span>
                    <span className="muted small">
                      Joined <time dateTime={member.joinedAt.toISOString()}>{dateFormat.format(member.joinedAt)}</time>
                    </span>
                  </div>
                  <div className="member-role">
                    {editable ? (
                      <select
                        aria-label={`Role for ${member.name}`}
                        value={member.role}
                        disabled={pendingUser === member.userId}
                        onChange={(event) => changeRole(member, event.target.value as WorkspaceRole)}
                      >
                        {options.map((role) => (
                          <option key={role} value={role}>
                            {ROLE_LABELS[role]}
                          </option>
                        ))}
                      </select>
                    ) : (
                      <span className="badge">{ROLE_LABELS[member.role]}</span>
                    )}
                  </div>
                  <div className="member-actions">
                    {editable && !self && (
                      <button
                        type="button"
                        className="button-secondary button-small"
                        aria-label={`Remove ${member.name}`}
                        onClick={() => {
                          remove.reset();
                          setRemoving(member);
                        }}
                      >
                        Remove
                      </button>
                    )}
                  </div>
                </li>
              );
            })}
          </ul>
        )}
      </section>

      {manage && <WorkspaceSettings workspace={workspace} />}

      {workspace.role === "owner" && (
        <>
          {members.data && (
            <TransferOwnership
              workspace={workspace}
              members={members.data}
              meId={me.id}
              onTransferred={(text) => setOutcome({ kind: "done", text })}
            />
          )}
          <DangerZone workspace={workspace} />
        </>
      )}

      <section aria-labelledby={`${id}-leave`} className="card stack">
        <h2 id={`${id}-leave`}>Leave this workspace</h2>
        <p className="muted">
          You lose access to {workspace.name} and its contacts. An owner or admin can invite you back later.
        </p>
        <p>
          <button
            type="button"
            className="button-danger-outline"
            onClick={() => {
              leave.reset();
              setLeaving(true);
            }}
          >
            Leave workspace
          </button>
        </p>
      </section>

      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing?.name ?? ""}?`}
        confirmLabel="Yes, remove"
        destructive
        pending={remove.isPending}
        error={<ErrorMessage error={remove.error} title="Could not remove" />}
        onConfirm={confirmRemove}
        onCancel={() => setRemoving(null)}
      >
        <p>
          {removing?.name} ({removing?.email}) loses access to {workspace.name} at once. You can invite them again
          later.
        </p>
      </ConfirmDialog>

      <ConfirmDialog
        open={leaving}
        title={`Leave ${workspace.name}?`}
        confirmLabel="Yes, leave"
        destructive
        pending={leave.isPending}
        error={<ErrorMessage error={leave.error} title="Could not leave" />}
        onConfirm={() => leave.mutate({ workspaceId: workspace.id, userId: me.id })}
        onCancel={() => setLeaving(false)}
      >
        <p>You will no longer see this workspace. An owner or admin must invite you back to return.</p>
      </ConfirmDialog>
    </div>
  );
}
