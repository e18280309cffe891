import { keepPreviousData } from "@tanstack/react-query";
import { useEffect, useId, useMemo, useRef, useState, type ReactNode } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useNow } from "../../components/hooks";
import { formatAbsolute, formatRelative } from "../../components/time";
import { Link } from "@tanstack/react-router";
import { trpc, type RouterOutputs } from "../../trpc";
import { TYPE_LABELS, type EventType } from "./eventLabels";
import { useLiveStatus } from "../live/LiveProvider";
import { useWorkspace } from "../shell/workspace";
import { Skeleton } from "../../components/Skeleton";

type ActivityEvent = RouterOutputs["activity"]["list"]["items"][number];

const PAGE_SIZE = 50;
/** Without a live stream (offline, or a browser without EventSource) the feed is asked for this often. */
const POLL_MS = 15_000;
/** Scrolled further down than this, new events wait behind an "N new" button instead of moving the page. */
const TOP_PX = 200;

const TYPE_GROUPS: { label: string; types: EventType[] }[] = [
  {
    label: "Contacts",
    types: [
      "contact.created",
      "contact.updated",
      "contact.deleted",
      "contact.restored",
      "contact.purged",
      "contact.merged",
      "contact.unmerged",
      "contact.reconnect_changed",
    ],
  },
  { label: "Interactions", types: ["interaction.created", "interaction.deleted"] },
  {
    label: "Follow-ups",
    types: ["task.created", "task.updated", "task.completed", "task.reopened", "task.deleted", "task.due"],
  },
  { label: "Members", types: ["member.added", "member.removed", "member.role_changed", "member.updated"] },
  {
    label: "Invitations",
    types: ["invitation.created", "invitation.accepted", "invitation.declined", "invitation.revoked"],
  },
  {
    label: "Workspace",
    types: ["workspace.created", "workspace.updated", "workspace.deletion_scheduled", "workspace.deletion_cancelled"],
  },
  { label: "Privacy", types: ["contact.erased", "contact.restricted", "contact.unrestricted", "user.erased"] },
  { label: "Webhooks", types: ["webhook.endpoint_disabled"] },
  { label: "Gmail", types: ["gmail.connected", "gmail.disconnected", "gmail.sync.completed", "gmail.sync.failed"] },
];

const INTERACTION_NOUNS: Record<string, string> = {
  email: "an email",
  meeting: "a meeting",
  call: "a call",
  linkedin: "a LinkedIn message",
  note: "a note",
};
const FIELD_LABELS: Record<string, string> = {
  tags: "tags",
  company: "company",
  title: "title",
  phone: "phone",
  email: "email",
  name: "name",
};

export default function ActivityPage() {
  const workspace = useWorkspace();
  const id = useId();
  const [selected, setSelected] = useState<EventType[]>([]);
  const now = useNow(30_000);
  const members = trpc.workspaces.members.useQuery({ workspaceId: workspace.id }, { staleTime: 60_000 });
  const names = useMemo(
    () => new Map((members.data ?? []).map((member) => [member.userId, member.name])),
    [members.data],
  );

  // Live events refetch the feed (features/live); it polls only while there is no stream.
  const live = useLiveStatus();
  const feed = trpc.activity.list.useInfiniteQuery(
    { workspaceId: workspace.id, limit: PAGE_SIZE, ...(selected.length > 0 ? { types: selected } : {}) },
    {
      getNextPageParam: (page) => page.nextCursor ?? undefined,
      refetchInterval: live?.status === "live" ? false : POLL_MS,
      placeholderData: keepPreviousData,
    },
  );
  const events = feed.data?.pages.flatMap((page) => page.items) ?? [];
  const fresh = useFreshEvents(events, feed.isPlaceholderData);

  const toggle = (type: EventType, on: boolean) =>
    setSelected((current) => (on ? [...current, type] : current.filter((candidate) => candidate !== type)));

  return (
    <div className="stack-lg">
      <div className="page-head">
        <h1>Activity</h1>
        <span className="muted small">
          {live?.status === "live" ? "New events appear as they happen" : "Updates every 15 seconds"}
        </span>
      </div>

      <div className="activity-layout">
        <fieldset className="card type-filter" aria-describedby={`${id}-filter-hint`}>
          <legend>Event types</legend>
          <p className="hint" id={`${id}-filter-hint`}>
            {selected.length === 0
              ? "Showing every type. Tick types to show only those."
              : `Showing ${selected.length} of ${Object.keys(TYPE_LABELS).length} types.`}
          </p>
          <div className="type-groups">
            {TYPE_GROUPS.map((group) => (
              <div key={group.label} className="type-group" role="group" aria-labelledby={`${id}-${group.label}`}>
                <p id={`${id}-${group.label}`} className="type-group-label">
                  {group.label}
                </p>
                {group.types.map((type) => (
                  <label key={type} className="checkbox">
                    <input
                      type="checkbox"
                      checked={selected.includes(type)}
                      onChange={(event) => toggle(type, event.target.checked)}
                    />
                    {TYPE_LABELS[type]}
                  </label>
                ))}
              </div>
            ))}
          </div>
          <p>
            <button
              type="button"
              className="button-secondary button-small"
              onClick={() => setSelected([])}
              disabled={selected.length === 0}
            >
              Clear filters
            </button>
          </p>
        </fieldset>

        <section aria-labelledby={`${id}-feed`} className="stack">
          <h2 id={`${id}-feed`} className="visually-hidden">
            Events
          </h2>
          {feed.isPending ? (
            <Skeleton shape="list" rows={6} label="Loading activity…" />
          ) : feed.error && events.length === 0 ? (
            <ErrorMessage error={feed.error} title="Could not load the activity" onRetry={() => void feed.refetch()} />
          ) : events.length === 0 ? (
            <p className="empty">
              {selected.length > 0
                ? "No events of the selected types yet."
                : "Nothing has happened in this workspace yet."}
            </p>
          ) : (
            <>
              {fresh.waiting > 0 && (
                <button type="button" className="feed-new-pill" onClick={fresh.showNew}>
                  {fresh.waiting} new {fresh.waiting === 1 ? "event" : "events"} ↑
                </button>
              )}
              <ol className="feed" aria-label="Activity feed" aria-busy={feed.isFetching && feed.isPlaceholderData}>
                {events.map((event) => (
                  <li key={event.id} className={`feed-item${fresh.isNew(event.id) ? " feed-item-new" : ""}`}>
                    <ActivityEntry event={event} workspaceId={workspace.id} names={names} now={now} />
                  </li>
                ))}
              </ol>
              {feed.error && <ErrorMessage error={feed.error} title="Could not load more" />}
              {feed.hasNextPage ? (
                <button
                  type="button"
                  className="button-secondary load-more"
                  onClick={() => void feed.fetchNextPage()}
                  disabled={feed.isFetchingNextPage}
                >
                  {feed.isFetchingNextPage ? "Loading…" : "Load more"}
                </button>
              ) : (
                <p className="muted small center">That is everything.</p>
              )}
            </>
          )}
        </section>
      </div>
    </div>
  );
}

/**
 * Events that arrived after the feed first showed: they slide in at the top. Someone
 * reading further down is not moved; a button says how many arrived and goes up.
 */
function useFreshEvents(events: ActivityEvent[], placeholder: boolean) {
  const newest = events[0]?.id ?? null;
  const seen = useRef<number | null>(null);
  const [marked, setMarked] = useState<ReadonlySet<number>>(new Set());
  const [waiting, setWaiting] = useState(0);

  useEffect(() => {
    if (newest === null || placeholder) return;
    if (seen.current === null) {
      seen.current = newest;
      return;
    }
    const previous = seen.current;
    if (newest <= previous) return;
    seen.current = newest;
    const arrived = events.filter((event) => event.id > previous).map((event) => event.id);
    setMarked(new Set(arrived));
    if (window.scrollY > TOP_PX) setWaiting((count) => count + arrived.length);
  }, [newest, placeholder, events]);

  useEffect(() => {
    if (waiting === 0) return;
    const onScroll = () => {
      if (window.scrollY <= TOP_PX) setWaiting(0);
    };
    window.addEventListener("scroll", onScroll, { passive: true });
    return () => window.removeEventListener("scroll", onScroll);
  }, [waiting]);

  return {
    waiting,
    isNew: (id: number) => marked.has(id),
    showNew: () => {
      setWaiting(0);
      window.scrollTo({ top: 0, behavior: "smooth" });
    },
  };
}

function str(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

/** "email and company", "tags, email and company". */
function listInWords(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** One event as a sentence and how long ago it happened (the Activity page, Today's recent activity). */
export function ActivityEntry({
  event,
  workspaceId,
  names,
  now,
}: {
  event: ActivityEvent;
  workspaceId: string;
  names: Map<string, string>;
  /** Milliseconds since the epoch (`useNow`). */
  now: number;
}) {
  return (
    <>
      <span className="feed-text">{describe(event, workspaceId, names)}</span>{" "}
      <time
        className="feed-time muted small"
        dateTime={event.createdAt.toISOString()}
        title={formatAbsolute(event.createdAt)}
      >
        {formatRelative(event.createdAt, now)}
      </time>
    </>
  );
}

/** "Ana Ruiz added contact Jens Holt", with the contact's name linking to it. */
function describe(event: ActivityEvent, workspaceId: string, names: Map<string, string>): ReactNode {
  const actor = event.actorName ?? (event.actorId ? (names.get(event.actorId) ?? "A former member") : "Rapport");
  const payload = event.payload as Record<string, unknown>;
  const contactId = str(payload.contactId);
  // The contact's name now (resolved by the server), or "a contact" when it is gone or restricted.
  const contactName = event.contactName;
  const contact = contactId ? (
    <Link to="/w/$workspaceId/contacts/$contactId" params={{ workspaceId, contactId }}>
      {contactName ?? "a contact"}
    </Link>
  ) : (
    "a contact"
  );
  const namedContact = contactName ? <>contact {contact}</> : contact;
  const userId = str(payload.userId);
  const person = userId
    ? userId === event.actorId
      ? "themselves"
      : (names.get(userId) ?? "a former member")
    : "someone";
  const role = (value: unknown) => (str(value) ?? "member").replace(/^\w/, (c) => c.toLowerCase());

  switch (event.type) {
    case "workspace.created":
      return <>{actor} created the workspace</>;
    case "workspace.updated": {
      const fields = Array.isArray(payload.fields) ? payload.fields.map(String) : [];
      const renamed = fields.includes("name");
      const country = fields.includes("phoneCountry");
      return renamed && country ? (
        <>{actor} renamed the workspace and changed its phone country</>
      ) : renamed ? (
        <>{actor} renamed the workspace</>
      ) : (
        <>{actor} changed the workspace's phone country</>
      );
    }
    case "contact.created": {
      const source = str(payload.source);
      return (
        <>
          {actor} added {namedContact}
          {source === "import" ? " (CSV import)" : source === "gmail" ? " (from Gmail)" : ""}
        </>
      );
    }
    case "contact.updated": {
      const fields = Array.isArray(payload.fields)
        ? payload.fields.map((field) => FIELD_LABELS[String(field)] ?? String(field))
        : [];
      return fields.length > 0 ? (
        <>
          {actor} changed {listInWords(fields)} of {contact}
        </>
      ) : (
        <>
          {actor} updated {namedContact}
        </>
      );
    }
    case "contact.deleted":
      return (
        <>
          {actor} deleted {namedContact}
        </>
      );
    case "contact.restored":
      return (
        <>
          {actor} restored {namedContact}
        </>
      );
    case "contact.merged":
      // The merged contact is gone (until an undo): only the one kept can be linked.
      return (
        <>
          {actor} merged a duplicate into {contact}
        </>
      );
    case "contact.unmerged":
      return (
        <>
          {actor} undid a merge into {contact}
        </>
      );
    case "contact.reconnect_changed":
      return (
        <>
          {actor}{" "}
          {payload.change === "snoozed"
            ? "snoozed the reminder to reconnect with"
            : payload.change === "done"
              ? "marked as done the reminder to reconnect with"
              : "changed how often to keep in touch with"}{" "}
          {contact}
        </>
      );
    case "task.created":
    case "task.updated":
    case "task.completed":
    case "task.reopened":
    case "task.deleted": {
      const verb = {
        "task.created": "created",
        "task.updated": "changed",
        "task.completed": "completed",
        "task.reopened": "reopened",
        "task.deleted": "deleted",
      }[event.type];
      return payload.contactId ? (
        <>
          {actor} {verb} a follow-up about {contact}
        </>
      ) : (
        <>
          {actor} {verb} a follow-up
        </>
      );
    }
    case "task.due":
      return payload.contactId ? <>A follow-up about {contact} is due</> : <>A follow-up is due</>;
    case "contact.purged":
      // Gone for good: nothing to link to.
      return <>{actor} permanently deleted a contact</>;
    case "contact.erased":
      // The person is anonymized; the row stays for counts but has nothing personal to show.
      return <>{actor} erased a contact's personal data (GDPR request)</>;
    case "contact.restricted":
      return (
        <>
          {actor} restricted processing of {contact}
        </>
      );
    case "contact.unrestricted":
      return (
        <>
          {actor} lifted the processing restriction on {contact}
        </>
      );
    case "user.erased":
      return <>A member's account was erased (GDPR request)</>;
    case "workspace.deletion_scheduled":
      return <>{actor} scheduled this workspace for deletion</>;
    case "workspace.deletion_cancelled":
      return <>{actor} cancelled the deletion of this workspace</>;
    case "interaction.created": {
      const others = Array.isArray(payload.participantContactIds)
        ? payload.participantContactIds.filter((id) => id !== contactId).length
        : 0;
      return (
        <>
          {actor} logged {INTERACTION_NOUNS[str(payload.type) ?? ""] ?? "an interaction"} with {contact}
          {others > 0 ? ` and ${others} other${others === 1 ? "" : "s"}` : ""}
        </>
      );
    }
    case "interaction.deleted":
      return (
        <>
          {actor} deleted an interaction with {contact}
        </>
      );
    case "member.added":
      return userId === event.actorId ? (
        <>
          {actor} joined as {role(payload.role)}
        </>
      ) : (
        <>
          {actor} added {person} as {role(payload.role)}
        </>
      );
    case "member.removed":
      return userId === event.actorId ? (
        <>{actor} left the workspace</>
      ) : (
        <>
          {actor} removed {person}
        </>
      );
    case "member.role_changed":
      return (
        <>
          {actor} changed the role of {person} from {role(payload.from)} to {role(payload.to)}
        </>
      );
    case "member.updated":
      return <>{actor} changed their name</>;
    case "invitation.created":
      return (
        <>
          {actor} invited someone as {role(payload.role)}
        </>
      );
    case "invitation.accepted":
      return <>{actor} accepted an invitation</>;
    case "invitation.declined":
      return <>{actor} declined an invitation</>;
    case "invitation.revoked":
      return <>{actor} withdrew an invitation</>;
    case "webhook.endpoint_disabled":
      return <>A webhook endpoint was disabled: {String(payload.reason ?? "")}</>;
    case "gmail.connected":
      return <>{actor} connected their Gmail</>;
    case "gmail.disconnected":
      return <>{actor} disconnected their Gmail</>;
    case "gmail.sync.completed": {
      const emails = Number(payload.emailsProcessed ?? 0);
      const added = Number(payload.contactsCreated ?? 0);
      return (
        <>
          Gmail sync finished: {emails} email{emails === 1 ? "" : "s"} read, {added} contact{added === 1 ? "" : "s"}{" "}
          added
        </>
      );
    }
    case "gmail.sync.failed":
      return <>Gmail sync failed{payload.reason === "reconnect_needed" ? ": the mailbox must be reconnected" : ""}</>;
    default:
      return (
        <>
          {actor}: {String(event.type)}
        </>
      );
  }
}
