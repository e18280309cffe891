import type { UseQueryResult } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useId, useRef, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Skeleton } from "../../components/Skeleton";
import { toLocalInput } from "../../components/time";
import { trpc, type RouterOutputs } from "../../trpc";
import { LogInteractionForm } from "../contacts/Timeline";
import { showToast } from "../../components/toast";
import { dueIn, FollowUpDialog, type FollowUpDraft } from "../tasks/FollowUpDialog";
import { reconnectInput } from "./params";

type ReconnectItem = RouterOutputs["reconnect"]["list"]["items"][number];

const DAY_MS = 86_400_000;
const SNOOZES = [
  ["1 week", 7],
  ["1 month", 30],
] as const;

/**
 * Relationships going cold, with the reason in words, and what to do about each in
 * one click: log an interaction, snooze (a week, a month, until a date), mark done,
 * or create a follow-up.
 */
export function ReconnectList({
  workspaceId,
  query,
}: {
  workspaceId: string;
  query: UseQueryResult<RouterOutputs["reconnect"]["list"], unknown>;
}) {
  const items = query.data?.items ?? [];
  if (query.isPending) return <Skeleton shape="list" rows={3} label="Loading suggestions…" />;
  if (query.error && items.length === 0)
    return (
      <ErrorMessage
        error={query.error}
        title="Could not load the Reconnect list"
        onRetry={() => void query.refetch()}
      />
    );
  if (items.length === 0)
    return (
      <p className="empty">
        No relationship is going cold. Rapport learns each contact's rhythm from their interactions, or from the
        keep-in-touch frequency you set on their page.
      </p>
    );
  return (
    <ol className="td-reconnect" aria-label="Reconnect suggestions">
      {items.map((item) => (
        <ReconnectEntry key={item.contactId} workspaceId={workspaceId} item={item} />
      ))}
    </ol>
  );
}

function ReconnectEntry({ workspaceId, item }: { workspaceId: string; item: ReconnectItem }) {
  const id = useId();
  const utils = trpc.useUtils();
  const [panel, setPanel] = useState<"log" | "snooze" | "follow-up" | null>(null);
  const [until, setUntil] = useState(() => toLocalInput(dueIn(14)).slice(0, 10));
  const snoozeButton = useRef<HTMLButtonElement>(null);
  const input = reconnectInput(workspaceId);

  // The entry leaves the list at once; the list is then asked again (the next one may move up).
  const settle = (message: string) => {
    utils.reconnect.list.setData(input, (data) =>
      data ? { ...data, items: data.items.filter((entry) => entry.contactId !== item.contactId) } : data,
    );
    void utils.reconnect.list.invalidate({ workspaceId });
    showToast({ message });
  };
  const snooze = trpc.reconnect.snooze.useMutation({
    onSuccess: (row) =>
      settle(`${item.name} snoozed until ${row.snoozedUntil ? row.snoozedUntil.toLocaleDateString() : "later"}.`),
  });
  const done = trpc.reconnect.done.useMutation({ onSuccess: () => settle(`${item.name}: marked done.`) });
  const error = snooze.error ?? done.error;
  const snoozeFor = (days: number) =>
    snooze.mutate({ workspaceId, contactId: item.contactId, until: new Date(Date.now() + days * DAY_MS) });
  const untilDate = new Date(`${until}T09:00`);
  const draft: FollowUpDraft = {
    title: `Reconnect with ${item.name}`,
    contact: { id: item.contactId, name: item.name },
  };

  return (
    <li className="td-rc-item">
      <div className="td-rc-head">
        <Link
          className="td-rc-name"
          id={`${id}-name`}
          to="/w/$workspaceId/contacts/$contactId"
          params={{ workspaceId, contactId: item.contactId }}
        >
          {item.name}
        </Link>
        {item.company && <span className="muted small">{item.company}</span>}
      </div>
      <p className="td-rc-reason">{item.reason}</p>
      <div className="td-rc-actions" role="group" aria-labelledby={`${id}-name`}>
        <button type="button" className="button-small" onClick={() => setPanel(panel === "log" ? null : "log")}>
          Log interaction
        </button>
        <button
          ref={snoozeButton}
          type="button"
          className="button-secondary button-small"
          aria-expanded={panel === "snooze"}
          onClick={() => setPanel(panel === "snooze" ? null : "snooze")}
        >
          Snooze
        </button>
        <button
          type="button"
          className="button-secondary button-small"
          disabled={done.isPending}
          onClick={() => done.mutate({ workspaceId, contactId: item.contactId })}
        >
          {done.isPending ? "Saving…" : "Done"}
        </button>
        <button type="button" className="button-secondary button-small" onClick={() => setPanel("follow-up")}>
          Create follow-up
        </button>
      </div>
      {panel === "snooze" && (
        <div className="td-rc-snooze" role="group" aria-label={`Snooze ${item.name}`}>
          {SNOOZES.map(([label, days]) => (
            <button
              key={label}
              type="button"
              className="button-secondary button-small"
              disabled={snooze.isPending}
              onClick={() => snoozeFor(days)}
            >
              {label}
            </button>
          ))}
          <form
            className="td-rc-until"
            onSubmit={(event) => {
              event.preventDefault();
              if (!Number.isNaN(untilDate.getTime()))
                snooze.mutate({ workspaceId, contactId: item.contactId, until: untilDate });
            }}
          >
            <label htmlFor={`${id}-until`}>Until</label>
            <input
              id={`${id}-until`}
              type="date"
              required
              min={toLocalInput(dueIn(1)).slice(0, 10)}
              value={until}
              onChange={(event) => setUntil(event.target.value)}
            />
            <button type="submit" className="button-secondary button-small" disabled={snooze.isPending}>
              Snooze until then
            </button>
          </form>
        </div>
      )}
      {error && <ErrorMessage error={error} title={`Could not update ${item.name}`} />}
      {panel === "log" && (
        <LogInteractionForm
          workspaceId={workspaceId}
          contact={{ id: item.contactId, name: item.name }}
          onClose={() => setPanel(null)}
          onLogged={() => settle(`Interaction with ${item.name} logged.`)}
        />
      )}
      {panel === "follow-up" && (
        <FollowUpDialog workspaceId={workspaceId} draft={draft} onClose={() => setPanel(null)} />
      )}
    </li>
  );
}
