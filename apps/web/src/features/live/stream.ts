/**
 * One live event stream (activity.live) per workspace and user, shared by the tabs that
 * have the workspace open.
 *
 * Browsers allow about six HTTP/1.1 connections per origin, so a stream per tab would
 * stall the seventh tab. The tabs elect a leader with a Web Lock: the leader holds the
 * one EventSource and repeats what it hears on a BroadcastChannel; the others only
 * listen. When the leader closes, the lock passes to another tab, which resumes from
 * the last event id the channel carried, so nothing is missed. A leader that stops
 * talking (a frozen background tab) has its lock stolen. Without Web Locks or
 * BroadcastChannel every tab streams for itself.
 *
 * Reconnects: the EventSource retries by itself after a network error and tRPC
 * reconnects after 30 s of silence (the server pings every 12 s), both resuming from
 * the last event id. When the stream ends for good (token expired, server restarted,
 * too many attempts) this module opens it again with that id, after a back-off, and
 * at once when the browser comes back online.
 */

export type LiveStatus = "connecting" | "live" | "reconnecting" | "offline";

export interface LiveEvent {
  id: number;
  type: string;
  workspaceId: string | null;
  actorId: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/** What an open stream reports (wired to tRPC's subscription callbacks by the caller). */
interface StreamCallbacks {
  /** The stream opened; `resumed` says whether it continues after `lastEventId` (null: none was sent). */
  ready(resumed: boolean | null): void;
  event(id: string, event: LiveEvent): void;
  /** The connection dropped and is being retried by the EventSource. */
  retrying(): void;
  /** The stream ended for good, with the error's code when the server refused it (null: it just ended). */
  failed(code: string | null): void;
}

/** Opens the stream after `lastEventId` (null: from now); returns its close. */
export type OpenStream = (lastEventId: string | null, callbacks: StreamCallbacks) => () => void;

interface LiveHandlers {
  event(event: LiveEvent): void;
  /** Events may have been missed (beyond the replay window, or none to resume from): refetch everything. */
  gap(): void;
  status(status: LiveStatus): void;
}

export interface LiveStreamOptions {
  /** Identifies the stream across tabs: the same user and workspace share it. */
  key: string;
  open: OpenStream;
  handlers: LiveHandlers;
  /** Called before reopening a stream the server refused for its token. */
  refreshToken: () => Promise<unknown>;
}

type ChannelMessage =
  | { kind: "event"; id: string; event: LiveEvent }
  | { kind: "gap" }
  | { kind: "status"; status: LiveStatus }
  /** A tab that just joined asks the leader for its status. */
  | { kind: "hello" };

const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000];
/** After this many failed attempts in a row the status says offline (with a retry). */
const OFFLINE_AFTER = 3;
/** The leader repeats its status this often; a follower that hears nothing for LEADER_SILENT_MS takes over. */
const LEADER_HEARTBEAT_MS = 10_000;
const LEADER_SILENT_MS = 35_000;

export class LiveStream {
  private lastEventId: string | null = null;
  private status: LiveStatus = "connecting";
  private stopped = false;
  private leading = false;
  private close: (() => void) | null = null;
  /** The open stream's identity: callbacks of a stream closed since are ignored. */
  private current: object | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private lastHeard = Date.now();
  private failures = 0;
  private connectedOnce = false;
  private channel: BroadcastChannel | null = null;
  private releaseLock: (() => void) | null = null;

  constructor(private readonly options: LiveStreamOptions) {}

  start(): void {
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    const shared = typeof BroadcastChannel !== "undefined" && typeof navigator !== "undefined" && !!navigator.locks;
    if (!shared) {
      this.lead();
      return;
    }
    this.channel = new BroadcastChannel(`rapport.live.${this.options.key}`);
    this.channel.onmessage = (message: MessageEvent<ChannelMessage>) => this.heard(message.data);
    this.channel.postMessage({ kind: "hello" } satisfies ChannelMessage);
    this.requestLock(false);
    this.watchdog = setInterval(() => {
      // The leader's tab is frozen or gone without releasing the lock: take the stream over.
      if (!this.leading && Date.now() - this.lastHeard > LEADER_SILENT_MS) this.requestLock(true);
    }, LEADER_HEARTBEAT_MS);
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    clearInterval(this.watchdog);
    this.resign();
    this.channel?.close();
    this.channel = null;
  }

  /** Reconnects now (the indicator's Retry). */
  retryNow(): void {
    if (!this.leading || this.stopped) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  private requestLock(steal: boolean): void {
    this.lastHeard = Date.now();
    navigator.locks
      .request(`rapport.live.${this.options.key}`, steal ? { steal: true } : {}, () => {
        if (this.stopped) return undefined;
        this.lead();
        // Held until this tab stops leading.
        return new Promise<void>((resolve) => {
          this.releaseLock = resolve;
        });
      })
      .catch(() => {
        // Stolen by a tab that thought this one frozen: follow it, and queue for the lock again.
        if (this.stopped || !this.leading) return;
        this.resign();
        this.requestLock(false);
      });
  }

  private lead(): void {
    if (this.leading || this.stopped) return;
    this.leading = true;
    this.heartbeat = setInterval(() => this.post({ kind: "status", status: this.status }), LEADER_HEARTBEAT_MS);
    this.connect();
  }

  private resign(): void {
    this.leading = false;
    clearInterval(this.heartbeat);
    clearTimeout(this.retryTimer);
    this.closeCurrent();
    this.releaseLock?.();
    this.releaseLock = null;
  }

  private connect(): void {
    this.closeCurrent();
    this.setStatus(this.connectedOnce ? "reconnecting" : "connecting");
    const self = {};
    this.current = self;
    const mine = () => this.current === self;
    this.close = this.options.open(this.lastEventId, {
      ready: (resumed) => {
        if (!mine()) return;
        this.failures = 0;
        // A first connection has nothing to miss; a later one without an id to resume from, or past the window, has.
        const gap = resumed === false || (resumed === null && this.connectedOnce);
        this.connectedOnce = true;
        this.setStatus("live");
        if (gap) {
          this.options.handlers.gap();
          this.post({ kind: "gap" });
        }
      },
      event: (id, event) => {
        if (!mine()) return;
        this.lastEventId = id;
        this.options.handlers.event(event);
        this.post({ kind: "event", id, event });
      },
      retrying: () => {
        if (mine()) this.setStatus(navigator.onLine === false ? "offline" : "reconnecting");
      },
      failed: (code) => {
        if (!mine()) return;
        this.closeCurrent();
        // An id the server cannot resume from (one an instance of another release does not
        // read, say) would be refused again on every retry: start afresh, and refetch for the gap.
        if (code === "BAD_REQUEST") this.lastEventId = null;
        this.scheduleRetry(code === "UNAUTHORIZED");
      },
    });
  }

  private closeCurrent(): void {
    this.current = null;
    const close = this.close;
    this.close = null;
    close?.();
  }

  private scheduleRetry(unauthorized: boolean): void {
    if (this.stopped || !this.leading) return;
    this.failures++;
    this.setStatus(navigator.onLine === false || this.failures >= OFFLINE_AFTER ? "offline" : "reconnecting");
    const delay = RETRY_MS[Math.min(this.failures - 1, RETRY_MS.length - 1)]!;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(
      () => {
        if (this.stopped || !this.leading) return;
        // A refused token (expired while streaming, or revoked): get a fresh one first.
        if (unauthorized)
          void this.options.refreshToken().finally(() => {
            if (!this.stopped && this.leading) this.connect();
          });
        else this.connect();
      },
      // Spread reconnects of many clients after a server restart.
      delay * (0.8 + Math.random() * 0.4),
    );
  }

  private readonly onOnline = () => {
    if (this.leading && this.status !== "live") this.retryNow();
  };

  private readonly onOffline = () => {
    if (this.leading) this.setStatus("offline");
  };

  private heard(message: ChannelMessage): void {
    if (this.stopped) return;
    if (message.kind === "hello") {
      if (this.leading) this.post({ kind: "status", status: this.status });
      return;
    }
    if (this.leading) return; // a stolen lock's former leader may still be talking
    this.lastHeard = Date.now();
    if (message.kind === "event") {
      this.lastEventId = message.id;
      this.options.handlers.event(message.event);
    } else if (message.kind === "gap") this.options.handlers.gap();
    else this.setStatus(message.status);
  }

  private setStatus(status: LiveStatus): void {
    if (status !== this.status) {
      this.status = status;
      if (this.leading) this.post({ kind: "status", status });
    }
    this.options.handlers.status(status);
  }

  private post(message: ChannelMessage): void {
    if (this.leading) this.channel?.postMessage(message);
  }
}
