import { useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { describeError } from "../../errors";
import { trpc } from "../../trpc";
import { Link } from "@tanstack/react-router";
import { contactKey, refreshLists, removeFromLists, type Contact } from "./cache";
import { dateFormat } from "../../components/time";
import { useSentinel } from "./hooks";
import { deletedListInput, lastListSearch } from "./listParams";
import { showToast } from "../../components/toast";
import { allText, BulkJobStatus, useBulkJob } from "./BulkByFilter";
import "./contacts.css";

/** How long the API keeps soft-deleted contacts (SOFT_DELETE_RETENTION_DAYS). */
const RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;

export interface DeletedContactsPageProps {
  workspaceId: string;
}

export default function DeletedContactsPage({ workspaceId }: DeletedContactsPageProps) {
  const id = useId();
  const list = trpc.contacts.list.useInfiniteQuery(deletedListInput(workspaceId), {
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const rows = list.data?.pages.flatMap((page) => page.items) ?? [];
  const canLoadMore = list.hasNextPage && !list.isFetchingNextPage && !list.isFetchNextPageError;
  const sentinel = useSentinel<HTMLDivElement>(() => {
    if (canLoadMore) void list.fetchNextPage();
  }, canLoadMore);
  // Every deleted contact at once (a bulk delete's worth), through the bulk restore: a job
  // with progress beyond what runs in the request.
  const total = trpc.contacts.count.useQuery({ workspaceId, deleted: true });
  const job = useBulkJob(workspaceId);
  const restoreAll = trpc.contacts.bulk.useMutation({
    onSuccess: (started) => {
      if (started.jobId) job.follow({ action: "restore", jobId: started.jobId });
      else job.finish("restore", started.result?.changed ?? 0);
    },
  });
  // Restoring the whole bin brings back contacts deleted on purpose too, and has no undo: the
  // server counts what it would restore (a dry run) and the person confirms that number.
  const [confirming, setConfirming] = useState<number | null>(null);
  const countRestorable = trpc.contacts.bulk.useMutation({ onSuccess: (counted) => setConfirming(counted.matched) });
  const restoreInput = { workspaceId, filter: { deleted: true }, action: "restore" } as const;

  return (
    <div className="ct-page">
      <nav aria-label="Breadcrumb" className="ct-breadcrumb">
        <Link
          to="/w/$workspaceId/contacts"
          params={{ workspaceId }}
          search={lastListSearch()}
          activeOptions={{ exact: true }}
        >
          ← Contacts
        </Link>
      </nav>
      <h1 id={`${id}-title`}>Recently deleted</h1>
      <p className="muted">
        Deleted contacts can be restored for {RETENTION_DAYS} days. After that they are purged permanently, with their
        interactions.
      </p>

      {list.isPending ? (
        <p className="muted">Loading deleted contacts…</p>
      ) : list.error && rows.length === 0 ? (
        <ErrorMessage error={list.error}>
          <button type="button" className="button-secondary" onClick={() => void list.refetch()}>
            Try again
          </button>
        </ErrorMessage>
      ) : rows.length === 0 ? (
        <div className="card cl-empty">
          <p>No recently deleted contacts.</p>
        </div>
      ) : (
        <>
          {total.data && total.data.count > 0 && (
            <p>
              {confirming === null ? (
                <button
                  type="button"
                  className="button-secondary"
                  disabled={countRestorable.isPending || restoreAll.isPending || job.running !== null}
                  onClick={() => countRestorable.mutate({ ...restoreInput, dryRun: true })}
                >
                  {restoreAll.isPending ? "Restoring…" : `Restore ${allText(total.data)}…`}
                </button>
              ) : (
                <>
                  <button
                    type="button"
                    className="button-secondary"
                    disabled={restoreAll.isPending || job.running !== null}
                    onClick={() => {
                      setConfirming(null);
                      restoreAll.mutate(restoreInput);
                    }}
                  >
                    Confirm: restore {confirming.toLocaleString()} contact{confirming === 1 ? "" : "s"}
                  </button>{" "}
                  <button type="button" className="link-button" onClick={() => setConfirming(null)}>
                    Cancel
                  </button>
                </>
              )}
            </p>
          )}
          {countRestorable.error ? <ErrorMessage error={countRestorable.error} /> : null}
          {restoreAll.error ? <ErrorMessage error={restoreAll.error} /> : null}
          <BulkJobStatus job={job} />
          <ul className="dl-list" aria-labelledby={`${id}-title`}>
            {rows.map((contact) => (
              <DeletedRow key={contact.id} workspaceId={workspaceId} contact={contact} />
            ))}
          </ul>
          {list.isFetchNextPageError && <ErrorMessage error={list.error} />}
          {list.hasNextPage && (
            <div ref={sentinel} className="tl-more">
              <button
                type="button"
                className="button-secondary"
                disabled={list.isFetchingNextPage}
                onClick={() => void list.fetchNextPage()}
              >
                {list.isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            </div>
          )}
        </>
      )}
    </div>
  );
}

function DeletedRow({ workspaceId, contact }: { workspaceId: string; contact: Contact }) {
  const id = useId();
  const queryClient = useQueryClient();
  const restore = trpc.contacts.restore.useMutation({
    onSuccess: (restored) => {
      removeFromLists(queryClient, workspaceId, [restored.id], true);
      void refreshLists(queryClient, workspaceId);
      void queryClient.invalidateQueries({ queryKey: contactKey(workspaceId, restored.id) });
      showToast({
        message: `Restored ${restored.name}.`,
        link: {
          label: "Open contact",
          to: "/w/$workspaceId/contacts/$contactId",
          params: { workspaceId, contactId: restored.id },
        },
      });
    },
  });
  const deletedAt = contact.deletedAt ?? contact.updatedAt;
  const purgeAt = new Date(deletedAt.getTime() + RETENTION_DAYS * DAY_MS);
  const error = restore.error ? describeError(restore.error) : null;
  const existing = typeof error?.details.existingContactId === "string" ? error.details.existingContactId : null;
  return (
    <li className="card dl-item">
      <div className="dl-main">
        <p className="dl-name" id={`${id}-name`}>
          {contact.name}
        </p>
        <p className="muted small dl-meta">
          {[contact.email, contact.company].filter(Boolean).join(" · ")}
          {(contact.email || contact.company) && <br />}
          Deleted <time dateTime={deletedAt.toISOString()}>{dateFormat.format(deletedAt)}</time>; purged on{" "}
          <time dateTime={purgeAt.toISOString()}>{dateFormat.format(purgeAt)}</time>
        </p>
        {error && (
          <div className="alert alert-error" role="alert">
            <p>{error.message}</p>
            {existing && (
              <p>
                <Link to="/w/$workspaceId/contacts/$contactId" params={{ workspaceId, contactId: existing }}>
                  Open the contact that has this email now
                </Link>
              </p>
            )}
          </div>
        )}
      </div>
      <button
        type="button"
        className="button-secondary"
        aria-describedby={`${id}-name`}
        disabled={restore.isPending}
        onClick={() => restore.mutate({ workspaceId, contactId: contact.id })}
      >
        {restore.isPending ? "Restoring…" : "Restore"}
      </button>
    </li>
  );
}
