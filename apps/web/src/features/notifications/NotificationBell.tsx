import { Link } from "@tanstack/react-router";
import { useId } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useNow } from "../../components/hooks";
import { Loading } from "../../components/Status";
import { formatAbsolute, formatRelative } from "../../components/time";
import { trpc, type RouterOutputs } from "../../trpc";
import { useLiveStatus } from "../live/LiveProvider";
import { useDisclosure } from "../shell/disclosure";
import "./notifications.css";

type Notification = RouterOutputs["notifications"]["list"]["items"][number];

const PAGE_SIZE = 20;
/** Without a live stream (no workspace open, or offline) the count is asked for this often. */
const POLL_MS = 60_000;

/** The bell: unread count, and a panel with the list, mark read / mark all read. */
export function NotificationBell() {
  const id = useId();
  const live = useLiveStatus();
  const unread = trpc.notifications.unreadCount.useQuery(undefined, {
    refetchInterval: live?.status === "live" ? false : POLL_MS,
  });
  const panel = useDisclosure<HTMLDivElement>();
  const count = unread.data?.unread ?? 0;

  return (
    <div className="bell" ref={panel.rootRef}>
      <button
        ref={panel.buttonRef}
        type="button"
        className="bell-button"
        aria-expanded={panel.open}
        aria-controls={`${id}-panel`}
        aria-label={count > 0 ? `Notifications, ${count} unread` : "Notifications"}
        onClick={panel.toggle}
      >
        <svg viewBox="0 0 16 16" width="20" height="20" aria-hidden="true" focusable="false">
          <path
            d="M8 1.75a4 4 0 0 0-4 4v2.6L2.75 11h10.5L12 8.35v-2.6a4 4 0 0 0-4-4ZM6.25 12.75a1.75 1.75 0 0 0 3.5 0"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.5"
            strokeLinejoin="round"
          />
        </svg>
        {count > 0 && (
          <span className="bell-badge" aria-hidden="true" data-testid="unread-count">
            {count > 99 ? "99+" : count}
          </span>
        )}
      </button>
      {panel.open && (
        <div className="bell-panel" id={`${id}-panel`} role="region" aria-labelledby={`${id}-title`}>
          <NotificationPanel titleId={`${id}-title`} unread={count} onNavigate={panel.close} />
        </div>
      )}
    </div>
  );
}

function NotificationPanel({
  titleId,
  unread,
  onNavigate,
}: {
  titleId: string;
  unread: number;
  onNavigate: () => void;
}) {
  const utils = trpc.useUtils();
  const now = useNow(30_000);
  const list = trpc.notifications.list.useInfiniteQuery(
    { limit: PAGE_SIZE },
    { getNextPageParam: (page) => page.nextCursor ?? undefined, staleTime: 0 },
  );
  const refresh = () => void utils.notifications.invalidate();
  const markRead = trpc.notifications.markRead.useMutation({ onSettled: refresh });
  const markAllRead = trpc.notifications.markAllRead.useMutation({ onSettled: refresh });
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <div className="stack-sm">
      <div className="bell-panel-head">
        <h2 id={titleId} className="bell-title">
          Notifications
        </h2>
        <button
          type="button"
          className="button-secondary button-small"
          onClick={() => markAllRead.mutate()}
          disabled={unread === 0 || markAllRead.isPending}
        >
          {markAllRead.isPending ? "Marking…" : "Mark all read"}
        </button>
      </div>
      {(markRead.error || markAllRead.error) && (
        <ErrorMessage error={markRead.error ?? markAllRead.error} title="Could not mark as read" />
      )}
      {list.isPending ? (
        <Loading>Loading notifications…</Loading>
      ) : list.error && items.length === 0 ? (
        <ErrorMessage error={list.error} title="Could not load notifications" onRetry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <p className="muted small">Nothing yet. You are told here when something needs you.</p>
      ) : (
        <ul className="bell-list" aria-label="Notifications">
          {items.map((item) => (
            <li key={item.id} className={`bell-item${item.readAt ? "" : " bell-unread"}`}>
              <div className="bell-item-body">
                <p className="bell-text">
                  {!item.readAt && <span className="visually-hidden">Unread: </span>}
                  <ItemText item={item} onNavigate={onNavigate} />
                </p>
                <p className="muted small">
                  {item.workspaceName && <>{item.workspaceName} · </>}
                  <time dateTime={item.createdAt.toISOString()} title={formatAbsolute(item.createdAt)}>
                    {formatRelative(item.createdAt, now)}
                  </time>
                </p>
              </div>
              {!item.readAt && (
                <button
                  type="button"
                  className="button-secondary button-small"
                  onClick={() => markRead.mutate({ ids: [item.id] })}
                  disabled={markRead.isPending}
                >
                  Mark read
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <button
          type="button"
          className="button-secondary button-small"
          onClick={() => void list.fetchNextPage()}
          disabled={list.isFetchingNextPage}
        >
          {list.isFetchingNextPage ? "Loading…" : "Show older"}
        </button>
      )}
      <p className="small">
        <Link to="/settings/notifications" onClick={onNavigate}>
          Notification settings
        </Link>
      </p>
    </div>
  );
}

/** The notification's sentence, linking to where it is dealt with. */
function ItemText({ item, onNavigate }: { item: Notification; onNavigate: () => void }) {
  const workspaceId = item.workspaceId;
  switch (workspaceId ? item.kind : null) {
    case "webhook.endpoint_disabled":
      return (
        <Link to="/w/$workspaceId/webhooks" params={{ workspaceId: workspaceId! }} onClick={onNavigate}>
          {item.text}
        </Link>
      );
    case "gmail.reconnect_needed":
      return (
        <Link to="/w/$workspaceId/integrations" params={{ workspaceId: workspaceId! }} onClick={onNavigate}>
          {item.text}
        </Link>
      );
    case "member.added":
    case "member.role_changed":
      return (
        <Link to="/w/$workspaceId/members" params={{ workspaceId: workspaceId! }} onClick={onNavigate}>
          {item.text}
        </Link>
      );
    default:
      return item.kind === "gdpr.export_ready" && item.payload.subjectKind !== "contact" ? (
        <Link to="/privacy" onClick={onNavigate}>
          {item.text}
        </Link>
      ) : (
        item.text
      );
  }
}
