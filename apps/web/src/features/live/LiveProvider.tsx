import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { errorCode } from "../../errors";
import { refreshSession } from "../../session";
import { trpc } from "../../trpc";
import { showToast } from "../../components/toast";
import { claimNotification, showBrowserNotification } from "../notifications/browserNotifications";
import { routersAffectedBy } from "./invalidation";
import { LiveStream, type LiveEvent, type LiveStatus, type OpenStream } from "./stream";

interface LiveState {
  status: LiveStatus;
  retry: () => void;
}

const LiveContext = createContext<LiveState | null>(null);

/** The open workspace's live stream status; null outside a workspace. */
export function useLiveStatus(): LiveState | null {
  return useContext(LiveContext);
}

/** Several events in a burst (an import) refetch each query once. */
const COALESCE_MS = 100;

/**
 * Refetches what events change: the routers' queries are invalidated together a moment
 * after the first event of a burst, or all queries at once after a gap.
 */
class Invalidator {
  private routers = new Set<string>();
  private all = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly queryClient: QueryClient) {}

  add(routers: string[]): void {
    for (const router of routers) this.routers.add(router);
    this.schedule();
  }

  everything(): void {
    this.all = true;
    this.schedule();
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), COALESCE_MS);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.all) void this.queryClient.invalidateQueries();
    else for (const router of this.routers) void this.queryClient.invalidateQueries({ queryKey: [[router]] });
    this.all = false;
    this.routers.clear();
  }
}

/**
 * Keeps the workspace's views current: one live stream (shared by the user's tabs on this
 * workspace) whose events refetch the queries they affect; new notifications for the
 * user also show as a toast in the tab they are looking at.
 */
export function LiveProvider({
  workspaceId,
  userId,
  children,
}: {
  /** Null outside a workspace: no stream. */
  workspaceId: string | null;
  userId: string;
  children: ReactNode;
}) {
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const [stream, setStream] = useState<LiveStream | null>(null);

  useEffect(() => {
    // No EventSource (an old browser, or a test environment without one): the pages' own refetching stays.
    if (!workspaceId || typeof EventSource === "undefined") return;
    const invalidator = new Invalidator(queryClient);
    const open: OpenStream = (lastEventId, callbacks) => {
      const subscription = utils.client.activity.live.subscribe(
        { workspaceId, ...(lastEventId ? { lastEventId } : {}) },
        {
          onData(data) {
            // A browser's EventSource repeats the last event id on messages sent without one,
            // so the untracked "ready" may come wrapped like a tracked event: read the kind.
            const message = "kind" in data ? data : data.data;
            if (message.kind === "ready") callbacks.ready(message.resumed);
            else if (message.kind === "event" && "id" in data) callbacks.event(data.id, message.event as LiveEvent);
          },
          onConnectionStateChange(state) {
            if (state.state === "connecting" && state.error) callbacks.retrying();
          },
          onError(error) {
            callbacks.failed(errorCode(error) ?? null);
          },
          onComplete() {
            callbacks.failed(null);
          },
        },
      );
      return () => subscription.unsubscribe();
    };
    const live = new LiveStream({
      key: `${userId}.${workspaceId}`,
      open,
      refreshToken: refreshSession,
      handlers: {
        status: setStatus,
        gap: () => invalidator.everything(),
        event: (event) => {
          invalidator.add(routersAffectedBy(event.type, event.workspaceId));
          if (event.type === "notification.created" && event.payload.userId === userId)
            void toastNotification(utils, String(event.payload.notificationId));
        },
      },
    });
    live.start();
    setStream(live);
    return () => {
      live.stop();
      invalidator.dispose();
      setStream(null);
      setStatus("connecting");
    };
  }, [workspaceId, userId, queryClient, utils]);

  const value = useMemo<LiveState | null>(
    () => (stream ? { status, retry: () => stream.retryNow() } : null),
    [stream, status],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

/**
 * A new notification, in words: a toast in the tab the person is looking at, or (if they
 * turned them on) a system notification while no tab of Rapport is in view.
 */
async function toastNotification(utils: ReturnType<typeof trpc.useUtils>, notificationId: string): Promise<void> {
  const visible = document.visibilityState === "visible";
  if (visible) claimNotification(notificationId);
  try {
    const page = await utils.notifications.list.fetch({ limit: 20 }, { staleTime: 0 });
    const notification = page.items.find((item) => item.id === notificationId);
    if (!notification || notification.readAt) return;
    if (visible) showToast({ message: notification.text }, { interrupt: false });
    else showBrowserNotification(notificationId, notification.text);
  } catch {
    // The bell still shows it.
  }
}
