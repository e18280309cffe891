import { useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useEffect, useId, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { ProgressBar } from "../../components/ProgressBar";
import { Skeleton } from "../../components/Skeleton";
import { dateFormat } from "../../components/time";
import { showToast } from "../../components/toast";
import { trpc, type RouterOutputs } from "../../trpc";
import { refreshLists } from "../contacts/cache";
import { isJobFinished, useJobProgress } from "../jobs/useJobProgress";
import { useWorkspace } from "../shell/workspace";
import "../contacts/contacts.css";
import "./duplicates.css";

type Pair = RouterOutputs["duplicates"]["list"]["items"][number];
type PairContact = Pair["contacts"][number];
type Reason = Pair["reasons"][number];
type Side = "survivor" | "merged";
type Field = "name" | "email" | "company" | "title" | "phone";

const FIELD_LABELS: Record<Field, string> = {
  name: "Name",
  email: "Email",
  company: "Company",
  title: "Title",
  phone: "Phone",
};
const STAGES: Record<string, string> = {
  queued: "Waiting to start…",
  reading: "Reading contacts…",
  comparing: "Comparing…",
  saving: "Saving pairs…",
};

/** What made the pair a candidate, in words (the values themselves are on the cards). */
function reasonText(reason: Reason): string {
  if (reason.kind === "email") return "Same mailbox";
  if (reason.kind === "phone") return "Same phone number";
  return `Similar name at the same company (${Math.round(reason.similarity * 100)}%)`;
}

/**
 * Duplicates: find likely duplicate contacts (a scan with progress), say a pair is two
 * people (remembered), or merge them after a field-by-field preview; a merge can be undone
 * for 30 days from the toast or from "Recent merges".
 */
export default function DuplicatesPage() {
  const workspaceId = useWorkspace().id;
  const id = useId();
  const utils = trpc.useUtils();
  const [jobId, setJobId] = useState<string | null>(null);
  const [merging, setMerging] = useState<string | null>(null);
  const list = trpc.duplicates.list.useInfiniteQuery(
    { workspaceId, limit: 25 },
    { getNextPageParam: (page) => page.nextCursor ?? undefined },
  );
  const scan = trpc.duplicates.scan.useMutation({ onSuccess: (started) => setJobId(started.jobId) });
  const { progress } = useJobProgress(jobId);
  const finished = isJobFinished(progress);
  useEffect(() => {
    if (finished) void utils.duplicates.list.invalidate({ workspaceId });
  }, [finished, utils, workspaceId]);

  const pairs = list.data?.pages.flatMap((page) => page.items) ?? [];
  const scannedAt = list.data?.pages[0]?.scannedAt ?? null;
  const running = jobId !== null && !finished;

  return (
    <div className="ct-page dp-page">
      <nav aria-label="Breadcrumb" className="ct-breadcrumb">
        <Link to="/w/$workspaceId/contacts" params={{ workspaceId }} activeOptions={{ exact: true }}>
          ← Contacts
        </Link>
      </nav>
      <div className="ct-page-head">
        <h1 id={`${id}-title`}>Duplicates</h1>
        <div className="ct-head-actions">
          <button type="button" disabled={running || scan.isPending} onClick={() => scan.mutate({ workspaceId })}>
            {running ? "Finding duplicates…" : "Find duplicates"}
          </button>
        </div>
      </div>
      <p className="muted">
        Contacts that are probably one person: the same mailbox (Gmail ignores dots and +tags), the same phone number,
        or a similar name at the same company. Merging keeps one contact with everything both had; it can be undone for
        30 days.
      </p>
      {scan.error && <ErrorMessage error={scan.error} />}
      {jobId && progress && !finished && (
        <ProgressBar
          label="Finding duplicates"
          percent={progress.total ? progress.percent : null}
          valueText={STAGES[progress.stage] ?? progress.stage}
        />
      )}
      {progress?.state === "failed" && <p role="alert">{progress.error ?? "The scan failed."}</p>}
      {progress?.state === "completed" && (
        <p role="status" className="muted small">
          Scan complete.
        </p>
      )}

      <RecentMerges workspaceId={workspaceId} />

      <section aria-labelledby={`${id}-pairs`}>
        <h2 id={`${id}-pairs`}>Likely duplicates</h2>
        {scannedAt && (
          <p className="muted small">
            Last scan <time dateTime={scannedAt.toISOString()}>{dateFormat.format(scannedAt)}</time>
          </p>
        )}
        {list.isPending ? (
          <Skeleton shape="list" rows={4} label="Loading duplicates…" />
        ) : list.error && pairs.length === 0 ? (
          <ErrorMessage error={list.error}>
            <button type="button" className="button-secondary" onClick={() => void list.refetch()}>
              Try again
            </button>
          </ErrorMessage>
        ) : pairs.length === 0 ? (
          <div className="card cl-empty">
            <p>No likely duplicates. Press “Find duplicates” to look again after adding or importing contacts.</p>
          </div>
        ) : (
          <ul className="dp-list">
            {pairs.map((pair) => {
              const key = pairKey(pair);
              return (
                <PairCard
                  key={key}
                  workspaceId={workspaceId}
                  pair={pair}
                  merging={merging === key}
                  onMerge={() => setMerging(merging === key ? null : key)}
                  onDone={() => setMerging(null)}
                />
              );
            })}
          </ul>
        )}
        {list.hasNextPage && (
          <div className="tl-more">
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
      </section>
    </div>
  );
}

const pairKey = (pair: Pair) => pair.contacts.map((c) => c.id).join(":");

function PairCard({
  workspaceId,
  pair,
  merging,
  onMerge,
  onDone,
}: {
  workspaceId: string;
  pair: Pair;
  merging: boolean;
  onMerge: () => void;
  onDone: () => void;
}) {
  const id = useId();
  const utils = trpc.useUtils();
  const [a, b] = pair.contacts;
  const dismiss = trpc.duplicates.dismiss.useMutation({
    onSuccess: () => {
      void utils.duplicates.list.invalidate({ workspaceId });
      showToast({ message: `${a.name} and ${b.name} will not be proposed again.` });
    },
  });
  return (
    <li className="card dp-pair" aria-labelledby={`${id}-title`}>
      <div className="dp-pair-head">
        <h3 id={`${id}-title`} className="dp-pair-title">
          {a.name} and {b.name}
        </h3>
        <span className="badge">{Math.round(pair.score * 100)}% likely</span>
      </div>
      <ul className="dp-reasons" aria-label="Why">
        {pair.reasons.map((reason) => (
          <li key={reason.kind} className="tag">
            {reasonText(reason)}
          </li>
        ))}
      </ul>
      <div className="dp-sides">
        {pair.contacts.map((contact) => (
          <ContactSummary key={contact.id} workspaceId={workspaceId} contact={contact} />
        ))}
      </div>
      <div className="ct-actions">
        <button type="button" aria-expanded={merging} onClick={onMerge}>
          {merging ? "Close preview" : "Merge…"}
        </button>
        <button
          type="button"
          className="button-secondary"
          disabled={dismiss.isPending}
          onClick={() => dismiss.mutate({ workspaceId, contactIds: [a.id, b.id] })}
        >
          Not the same person
        </button>
      </div>
      {dismiss.error && <ErrorMessage error={dismiss.error} />}
      {merging && <MergePreview workspaceId={workspaceId} pair={pair} onDone={onDone} />}
    </li>
  );
}

function ContactSummary({ workspaceId, contact }: { workspaceId: string; contact: PairContact }) {
  return (
    <div className="dp-side">
      <Link to="/w/$workspaceId/contacts/$contactId" params={{ workspaceId, contactId: contact.id }}>
        {contact.name}
      </Link>
      <p className="muted small">
        {[contact.email, contact.phone, [contact.title, contact.company].filter(Boolean).join(", ")]
          .filter(Boolean)
          .join(" · ") || "No details"}
        <br />
        {contact.interactionCount === 1 ? "1 interaction" : `${contact.interactionCount} interactions`} · added{" "}
        {dateFormat.format(contact.createdAt)}
      </p>
    </div>
  );
}

/** The merge, previewed field by field: pick the contact to keep and, per field, whose value stays. */
function MergePreview({ workspaceId, pair, onDone }: { workspaceId: string; pair: Pair; onDone: () => void }) {
  const id = useId();
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const [survivorId, setSurvivorId] = useState(pair.suggestedSurvivorId);
  const [choices, setChoices] = useState<Partial<Record<Field, Side>>>({});
  const survivor = pair.contacts.find((c) => c.id === survivorId)!;
  const merged = pair.contacts.find((c) => c.id !== survivorId)!;
  const input = { workspaceId, survivorId: survivor.id, mergedId: merged.id, choices };
  const preview = trpc.duplicates.previewMerge.useQuery(input, { placeholderData: (previous) => previous });
  const merge = trpc.duplicates.merge.useMutation({
    onSuccess: (result) => {
      void utils.duplicates.invalidate();
      void refreshLists(queryClient, workspaceId);
      onDone();
      showToast({
        message: `Merged ${merged.name} into ${survivor.name}.`,
        action: {
          label: "Undo",
          run: async () => {
            // Through the client: this preview is gone by the time the toast's Undo is pressed.
            await utils.client.duplicates.undoMerge.mutate({ workspaceId, mergeId: result.mergeId });
            void utils.duplicates.invalidate();
            void refreshLists(queryClient, workspaceId);
            showToast({ message: "Merge undone." });
          },
        },
        link: {
          label: "Open contact",
          to: "/w/$workspaceId/contacts/$contactId",
          params: { workspaceId, contactId: result.survivorId },
        },
      });
    },
  });

  const swap = (next: string) => {
    setSurvivorId(next);
    setChoices({});
  };
  const data = preview.data;
  return (
    <section className="dp-preview" aria-labelledby={`${id}-title`}>
      <h4 id={`${id}-title`}>Merge preview</h4>
      <fieldset className="dp-keep">
        <legend>Contact to keep</legend>
        {pair.contacts.map((contact) => (
          <label key={contact.id} className="checkbox dp-radio">
            <input
              type="radio"
              name={`${id}-keep`}
              checked={contact.id === survivorId}
              onChange={() => swap(contact.id)}
            />
            {contact.name}
          </label>
        ))}
      </fieldset>
      {!data ? (
        preview.error ? (
          <ErrorMessage error={preview.error} />
        ) : (
          <Skeleton shape="table" rows={5} label="Loading the preview…" />
        )
      ) : (
        <>
          <table className="dp-table">
            <caption className="visually-hidden">Value kept for each field</caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">{survivor.name} (kept)</th>
                <th scope="col">{merged.name}</th>
              </tr>
            </thead>
            <tbody>
              {data.fields.map((row) => {
                const field = row.field as Field;
                return (
                  <tr key={field}>
                    <th scope="row">{FIELD_LABELS[field]}</th>
                    {(["survivor", "merged"] as const).map((side) => {
                      const value = side === "survivor" ? row.survivorValue : row.mergedValue;
                      return (
                        <td key={side} className={(choices[field] ?? row.side) === side ? "dp-chosen" : undefined}>
                          <label className="checkbox dp-radio">
                            <input
                              type="radio"
                              name={`${id}-${field}`}
                              // The choice shows at once; the preview's values follow from the server.
                              checked={(choices[field] ?? row.side) === side}
                              disabled={field === "name" && !value}
                              onChange={() => setChoices((current) => ({ ...current, [field]: side }))}
                            />
                            <span>{value || <span className="muted">empty</span>}</span>
                          </label>
                        </td>
                      );
                    })}
                  </tr>
                );
              })}
              <tr>
                <th scope="row">Tags</th>
                <td colSpan={2}>
                  {data.tags.length > 0 ? data.tags.join(", ") : <span className="muted">none</span>} (both kept)
                </td>
              </tr>
            </tbody>
          </table>
          <p className="small">
            {merged.name}'s {countText(data.moves.interactions, "interaction")},{" "}
            {countText(data.moves.participations, "participation")}, {countText(data.moves.tasks, "follow-up")}
            {data.moves.keepInTouch > 0 ? " and keep-in-touch setting" : ""} move to {survivor.name}; {merged.name} is
            removed. You can undo this for {data.undoDays} days.
          </p>
        </>
      )}
      {merge.error && <ErrorMessage error={merge.error} />}
      <div className="ct-actions">
        <button type="button" disabled={!data || merge.isPending} onClick={() => merge.mutate(input)}>
          {merge.isPending ? "Merging…" : `Merge into ${survivor.name}`}
        </button>
        <button type="button" className="button-secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </section>
  );
}

const countText = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

function RecentMerges({ workspaceId }: { workspaceId: string }) {
  const id = useId();
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const merges = trpc.duplicates.merges.useQuery({ workspaceId, limit: 10 });
  const undo = trpc.duplicates.undoMerge.useMutation({
    onSuccess: () => {
      void utils.duplicates.invalidate();
      void refreshLists(queryClient, workspaceId);
      showToast({ message: "Merge undone." });
    },
  });
  if (!merges.data || merges.data.length === 0) return null;
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Recent merges</h2>
      <ul className="dp-merges">
        {merges.data.map((merge) => (
          <li key={merge.mergeId} className="dp-merge">
            <span>
              {merge.mergedName} merged into {merge.survivorName}{" "}
              <span className="muted small">
                (undo until <time dateTime={merge.undoUntil.toISOString()}>{dateFormat.format(merge.undoUntil)}</time>)
              </span>
            </span>
            <button
              type="button"
              className="button-secondary"
              disabled={undo.isPending}
              aria-label={`Undo merge of ${merge.mergedName} into ${merge.survivorName}`}
              onClick={() => undo.mutate({ workspaceId, mergeId: merge.mergeId })}
            >
              Undo
            </button>
          </li>
        ))}
      </ul>
      {undo.error && <ErrorMessage error={undo.error} />}
    </section>
  );
}
