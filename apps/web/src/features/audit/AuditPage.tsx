import { keepPreviousData } from "@tanstack/react-query";
import { useId, useMemo, useState } from "react";
import { useForm } from "react-hook-form";
import { ErrorMessage } from "../../components/ErrorMessage";
import { schemaResolver } from "../../components/form";
import { useNow } from "../../components/hooks";
import { formatRelative, formatShortAbsolute } from "../../components/time";
import { fieldError } from "../../errors";
import { auditListInput } from "../../schemas";
import { trpc, type RouterInputs } from "../../trpc";
import { TYPE_LABELS } from "../activity/eventLabels";
import { RequireRole } from "../shell/RequireRole";
import { Skeleton } from "../../components/Skeleton";
import { TableScroll } from "../../components/TableScroll";

const PAGE_SIZE = 50;

/** The actions recorded against a workspace, grouped for the picker, in words. */
const ACTION_GROUPS: { label: string; actions: Record<string, string> }[] = [
  {
    label: "Workspace",
    actions: {
      "workspace.created": TYPE_LABELS["workspace.created"],
      "workspace.updated": TYPE_LABELS["workspace.updated"],
      "workspace.ownership_transferred": "Ownership transferred",
      "workspace.deletion_requested": "Deletion requested",
      "workspace.deletion_cancelled": TYPE_LABELS["workspace.deletion_cancelled"],
      "analytics.values_changed": "Relationship values changed",
    },
  },
  {
    label: "Members",
    actions: {
      "member.added": TYPE_LABELS["member.added"],
      "member.removed": TYPE_LABELS["member.removed"],
      "member.role_changed": TYPE_LABELS["member.role_changed"],
      "invitation.created": TYPE_LABELS["invitation.created"],
      "invitation.accepted": TYPE_LABELS["invitation.accepted"],
      "invitation.declined": TYPE_LABELS["invitation.declined"],
      "invitation.revoked": TYPE_LABELS["invitation.revoked"],
    },
  },
  // The members' own sign-ins, from the time each joined (account-level: the server adds them).
  { label: "Sign-ins", actions: { "auth.login": "Signed in", "auth.login_failed": "Failed sign-in" } },
  { label: "Contacts", actions: { "contact.purged": "Contact permanently deleted" } },
  {
    label: "Integrations",
    actions: {
      "gmail.connected": TYPE_LABELS["gmail.connected"],
      "gmail.disconnected": TYPE_LABELS["gmail.disconnected"],
      "webhook.endpoint_created": "Webhook endpoint created",
      "webhook.endpoint_updated": "Webhook endpoint changed",
      "webhook.endpoint_disabled": TYPE_LABELS["webhook.endpoint_disabled"],
      "webhook.endpoint_deleted": "Webhook endpoint deleted",
      "webhook.secret_rotated": "Webhook secret rotated",
    },
  },
];
const ACTION_LABELS = new Map(ACTION_GROUPS.flatMap((group) => Object.entries(group.actions)));

interface Filters {
  action: string;
  actorId: string;
}
const NO_FILTERS: Filters = { action: "", actorId: "" };

export default function AuditPage() {
  return (
    <RequireRole minimum="admin" title="Audit log" page="audit log">
      {(workspace) => <AuditLog workspaceId={workspace.id} />}
    </RequireRole>
  );
}

function AuditLog({ workspaceId }: { workspaceId: string }) {
  const id = useId();
  const now = useNow(60_000);
  const form = useForm<Filters, unknown, RouterInputs["audit"]["list"]>({
    defaultValues: NO_FILTERS,
    resolver: schemaResolver(auditListInput, (values: Filters) => ({
      workspaceId,
      limit: PAGE_SIZE,
      action: values.action.trim() || null,
      actorId: values.actorId || null,
    })),
  });
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const members = trpc.workspaces.members.useQuery({ workspaceId }, { staleTime: 60_000 });
  const names = useMemo(
    () => new Map((members.data ?? []).map((member) => [member.userId, member.name])),
    [members.data],
  );

  const log = trpc.audit.list.useInfiniteQuery(
    { workspaceId, limit: PAGE_SIZE, action: applied.action || null, actorId: applied.actorId || null },
    { getNextPageParam: (page) => page.nextCursor ?? undefined, placeholderData: keepPreviousData },
  );
  const entries = log.data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = applied.action !== "" || applied.actorId !== "";
  const actionError = form.formState.errors.action?.message ?? fieldError(log.error, "action");

  const submit = form.handleSubmit((input) => {
    setApplied({ action: input.action ?? "", actorId: input.actorId ?? "" });
  });
  const clear = () => {
    form.reset(NO_FILTERS);
    setApplied(NO_FILTERS);
  };

  return (
    <div className="stack-lg">
      <h1>Audit log</h1>

      <form
        className="card toolbar"
        role="search"
        aria-label="Filter the audit log"
        onSubmit={(event) => void submit(event)}
        noValidate
      >
        <div className="field grow">
          <label htmlFor={`${id}-action`}>Action</label>
          <select
            id={`${id}-action`}
            aria-describedby={actionError ? `${id}-action-error` : undefined}
            aria-invalid={actionError ? true : undefined}
            {...form.register("action")}
          >
            <option value="">Any action</option>
            {ACTION_GROUPS.map((group) => (
              <optgroup key={group.label} label={group.label}>
                {Object.entries(group.actions).map(([action, label]) => (
                  <option key={action} value={action}>
                    {label}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
          {actionError && (
            <p id={`${id}-action-error`} className="field-error">
              {actionError}
            </p>
          )}
        </div>
        <div className="field grow">
          <label htmlFor={`${id}-actor`}>Actor</label>
          <select id={`${id}-actor`} {...form.register("actorId")}>
            <option value="">Anyone</option>
            {(members.data ?? []).map((member) => (
              <option key={member.userId} value={member.userId}>
                {member.name} ({member.email})
              </option>
            ))}
          </select>
        </div>
        <div className="button-row toolbar-buttons">
          <button type="submit">Filter</button>
          <button
            type="button"
            className="button-secondary"
            onClick={clear}
            disabled={!filtered && !form.formState.isDirty}
          >
            Clear
          </button>
        </div>
      </form>

      <section aria-labelledby={`${id}-entries`} className="stack">
        <h2 id={`${id}-entries`} className="visually-hidden">
          Entries
        </h2>
        {log.isPending ? (
          <Skeleton shape="table" rows={8} label="Loading the audit log…" />
        ) : log.error && entries.length === 0 ? (
          <ErrorMessage error={log.error} title="Could not load the audit log" onRetry={() => void log.refetch()} />
        ) : entries.length === 0 ? (
          <p className="empty">{filtered ? "No entries match these filters." : "No audit entries yet."}</p>
        ) : (
          <>
            <p className="muted small" role="status">
              Showing {entries.length}
              {log.hasNextPage ? "+" : ""} entr{entries.length === 1 ? "y" : "ies"}
              {filtered ? " matching the filters" : ""}
              {log.isFetching && !log.isFetchingNextPage ? " · updating…" : ""}
            </p>
            <TableScroll tabIndex={0} role="region" aria-labelledby={`${id}-caption`}>
              <table className="data-table audit-table">
                <caption id={`${id}-caption`} className="visually-hidden">
                  Audit log entries
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Action</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Target</th>
                    <th scope="col">IP</th>
                    <th scope="col">User agent</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  {entries.map((entry) => (
                    <tr key={entry.id}>
                      <td className="nowrap">
                        <time dateTime={entry.createdAt.toISOString()} title={formatRelative(entry.createdAt, now)}>
                          {formatShortAbsolute(entry.createdAt)}
                        </time>
                      </td>
                      <td>{ACTION_LABELS.get(entry.action) ?? <code>{entry.action}</code>}</td>
                      <td>
                        {entry.actorId ? (
                          <>
                            {names.get(entry.actorId) && <span className="block">{names.get(entry.actorId)}</span>}
                            <code className="id">{entry.actorId}</code>
                          </>
                        ) : (
                          <span className="muted">system</span>
                        )}
                      </td>
                      <td>
                        {entry.targetType || entry.targetId ? (
                          <>
                            <span className="block">
                              {entry.targetType ?? "—"}
                              {entry.targetType === "user" && entry.targetId && names.get(entry.targetId)
                                ? `: ${names.get(entry.targetId)}`
                                : ""}
                            </span>
                            {entry.targetId && <code className="id">{entry.targetId}</code>}
                          </>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                      <td className="nowrap">{entry.ip ?? <span className="muted">—</span>}</td>
                      <td className="truncate" title={entry.userAgent ?? undefined}>
                        {entry.userAgent ?? <span className="muted">—</span>}
                      </td>
                      <td className="small">{formatMetadata(entry.metadata)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
            {log.error && <ErrorMessage error={log.error} title="Could not load more" />}
            {log.hasNextPage && (
              <button
                type="button"
                className="button-secondary load-more"
                onClick={() => void log.fetchNextPage()}
                disabled={log.isFetchingNextPage}
              >
                {log.isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            )}
          </>
        )}
      </section>
    </div>
  );
}

function formatMetadata(metadata: Record<string, unknown> | null | undefined): string {
  const entries = Object.entries(metadata ?? {});
  if (entries.length === 0) return "";
  return entries
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ");
}
