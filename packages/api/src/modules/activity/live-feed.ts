import { eventVisibleTo, type WorkspaceRole } from "@rapport/core";
import { queryRows, type Db } from "@rapport/db";
import { sql } from "drizzle-orm";
import type { Clock } from "../../clock";
import { type DomainError, notFound, tooManyRequests, unauthorized } from "../../errors";
import type { Logger } from "../../logger";
import type { ServiceDeps } from "../../platform/deps";
import {
  type CommitPosition,
  type CommittedEvent,
  eventOf,
  newestCommittedPosition,
  readCommittedEvents,
  readCommittedEventsBelowHorizon,
} from "../../platform/events/committed";
import type {
  CommitNotice,
  CommittedEvent as WrittenEvent,
  DomainEvent,
  DomainEventType,
} from "../../platform/events/types";
import type { RestrictionIndex } from "../../platform/privacy/restriction";
import { PUSH, type PushHandle, type PushSink, type PushStream } from "../../platform/push-stream";

type FeedEvent = CommittedEvent;
type Position = CommitPosition;

/** What a live stream sends: once at the start whether it resumed, then events. */
type LiveMessage =
  | { kind: "ready"; resumed: boolean | null }
  | {
      kind: "event";
      event: Pick<DomainEvent, "id" | "type" | "workspaceId" | "actorId" | "payload" | "createdAt">;
    };

/** A message and, for events, the id a client resumes after. */
export interface LiveItem {
  id: string | null;
  message: LiveMessage;
}

/**
 * An event as this instance's feed hands it to its streams: what every stream needs to
 * know about it is worked out once here, not once per stream — whether it is about a
 * restricted contact, and the message itself, frozen so that the SSE writer serializes
 * it once for all the streams it goes to.
 */
interface FeedEntry {
  event: FeedEvent;
  /** The event's transaction id, parsed once: every stream compares it with what it sent. */
  tx: bigint;
  restricted: boolean;
  item: LiveItem;
  /** When the feed read it (performance.now()): how far behind a stream that still holds it is. */
  readAt: number;
  /**
   * Handed out from its commit's wake-up, not from a read of the outbox: not in commit order
   * (an older transaction may still be open), so a stream keeps its id until a read passes it.
   */
  direct: boolean;
  /**
   * What the last stream to take this entry made of it, for the next stream in the same state:
   * the streams of a workspace were mostly sent the same events, so they go from the same
   * ids sent ahead to the same next ones and send the same SSE id. Made once per entry rather
   * than once per stream (at hundreds of streams, that was a fifth of what an instance allocated).
   */
  aheadAfter?: { from: SentAhead; to: SentAhead };
  aheadItem?: { ahead: SentAhead; sent: Position; item: LiveItem };
}

/**
 * The ids of the events a stream sent ahead of its position, in the order it sent them: never
 * changed, so that streams in the same state share one (see FeedEntry's `aheadAfter`).
 */
class SentAhead {
  static readonly NONE = new SentAhead([], "");

  private constructor(
    private readonly ids: readonly number[],
    /** The ids as the SSE id lists them. */
    readonly text: string,
  ) {}

  static of(ids: readonly number[]): SentAhead {
    return ids.length === 0 ? SentAhead.NONE : new SentAhead([...ids], ids.join(","));
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: number): boolean {
    return this.ids.includes(id);
  }

  with(id: number): SentAhead {
    return new SentAhead([...this.ids, id], this.text === "" ? String(id) : `${this.text},${id}`);
  }

  without(id: number): SentAhead {
    return SentAhead.of(this.ids.filter((sent) => sent !== id));
  }
}

/** Replay is guaranteed for this long or this many events of the workspace, whichever reaches further. */
const REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;
const REPLAY_WINDOW_EVENTS = 10_000;
const READ_BATCH = 1_000;
const BACKLOG_PAGE = 500;
/**
 * A committed transaction this instance was told of is still above the outbox's horizon
 * (an older transaction is still open): read again after this long, doubling up to the
 * maximum while it stays held back. The older transaction's end is announced when it wrote
 * events (its commit wake-up) or was a dispatcher batch (`onBatchEnded`): the feed
 * reads again at once when the one holding the horizon ends. Anything else (a write
 * without events, another client of the database) is found by these retries, so they stay
 * at most 20 ms apart while a hold is young, and go on doubling to 250 ms once the same
 * horizon has held it longer: a horizon held for long (an import's transaction, an open
 * psql session) costs an instance 4 reads a second, not 50, each of them reading
 * pg_stat_activity.
 */
const HELD_BACK_FIRST_RETRY_MS = 2;
const HELD_BACK_YOUNG_MAX_RETRY_MS = 20;
const HELD_BACK_YOUNG_MS = 250;
const HELD_BACK_MAX_RETRY_MS = 250;
/** How many ended transactions are remembered, for a read whose snapshot was taken before one ended. */
const ENDED_TXS = 64;
/** How many delivered event ids are remembered, so that the relay's later broadcast of them costs no read. */
const RECENT_IDS = 4_096;
/**
 * How many events a stream may have sent ahead of its position in commit order (delivered
 * from their commits' wake-ups while an older transaction holds the outbox's horizon). Their
 * ids travel in each SSE id, so beyond this the stream waits for the reads, in commit order.
 */
const SENT_AHEAD_MAX = 64;
/**
 * A commit whose events went to the streams from its wake-up is read `LIVE_SENT_AHEAD_READ_MS`
 * later (200 by default), with the commits meanwhile: that read only moves the streams'
 * positions past what they were sent (and delivers what a stream left to it), so it need not
 * be one statement per commit per instance, each of which costs the event loop of a loaded
 * host a socket write and Postgres a snapshot. This many events sent ahead since the last read
 * (of all workspaces, so at least as many as any one stream's) ask for it at once: a busy
 * workspace's streams stay well below the bound, past which they would wait for the reads.
 */
const SENT_AHEAD_READ_AT = SENT_AHEAD_MAX / 2;
/** How many events named whole may wait for an unread commit before they too are left to the reads. */
const HELD_AHEAD_MAX = 1_000;
/**
 * A live stream's SSE id: an event id (everything of the stream up to that event in commit
 * order was sent), or a commit position `{txId}:{id}` (the same up to there) and the ids of the
 * events sent after it `:{id},{id}…`.
 */
const LIVE_EVENT_ID = /^(?:[0-9]{1,15}|[0-9]{1,20}:[0-9]{1,15}(?::[0-9]{1,15}(?:,[0-9]{1,15}){0,63})?)$/;
/** The largest transaction id (xid8 is unsigned 64-bit): a longer one is no position. */
const XID8_MAX = 18_446_744_073_709_551_615n;
/** Whether a client's last SSE id is one a stream could have sent (`LIVE_EVENT_ID`, a transaction id xid8 holds). */
export function isLiveEventId(value: string): boolean {
  if (!LIVE_EVENT_ID.test(value)) return false;
  const colon = value.indexOf(":");
  return colon < 0 || BigInt(value.slice(0, colon)) <= XID8_MAX;
}
/** Where a client resumes: after its last event's place in commit order, less what it has after it. */
interface ResumeFrom {
  /** The event the client named (a plain id), or null: `position` itself. */
  eventId: number | null;
  position: Position;
  sentAhead: number[];
}
/** A stream's queue starts this long (a power of two) and doubles as it fills. */
const RING_START = 8;
/** Restriction lifecycle events name a restricted contact by design; they are not about its data. */
const RESTRICTION_EVENTS: ReadonlySet<string> = new Set(["contact.restricted", "contact.unrestricted"]);

type StreamEnd =
  | { reason: "slow" }
  | { reason: "closed" }
  | { reason: "refused"; error: DomainError }
  /** Its consumer threw while taking an event handed to it directly. */
  | { reason: "failed"; error: unknown };

/**
 * One open stream: a queue the feed fills and the stream drains, bounded in time and length.
 * The queue is a ring that grows by doubling and is reused: a busy feed offers every event
 * to hundreds of streams, so whatever an offer or a take allocates (an array per take,
 * grown by the offers) is multiplied by them.
 */
class Subscriber {
  private ring: (FeedEntry | undefined)[] = new Array<FeedEntry | undefined>(RING_START);
  /** Index of the oldest queued entry in `ring`, and how many are queued. */
  private head = 0;
  private queued = 0;
  private waiting: (() => void) | null = null;
  ended: StreamEnd | null = null;
  /**
   * Set while the stream's consumer takes entries as they come (pushed) and nothing is queued:
   * an offer hands the entry straight to it, in the feed's own call, instead of queueing it.
   */
  direct: ((entry: FeedEntry) => void) | null = null;
  /** Called once when the stream ends (a pushed stream's driver waits for it). */
  onEnd: (() => void) | null = null;

  constructor(
    readonly workspaceId: string,
    readonly userId: string,
    readonly tokenExpiresAtMs: number,
    private readonly limit: number,
    private readonly maxLagMs: number,
    private readonly onPeak: (queued: number) => void,
    private readonly dropConnection: (() => void) | undefined,
  ) {}

  offer(entry: FeedEntry): void {
    if (this.ended) return;
    if (this.direct && this.queued === 0) {
      this.direct(entry);
      return;
    }
    // A client that does not keep up is dropped rather than buffered without bound: once
    // the oldest event it has not taken is older than the lag limit (or, in a burst, the
    // queue is full). It reconnects with its last event id and reads the rest from the
    // outbox. The stream itself is stuck writing to that client, so the connection is
    // what gets closed. Entries are shared by all streams: a queue costs a pointer each.
    const oldest = this.queued > 0 ? this.ring[this.head] : undefined;
    if (this.queued >= this.limit || (oldest && entry.readAt - oldest.readAt > this.maxLagMs)) {
      this.end({ reason: "slow" });
      this.dropConnection?.();
      return;
    }
    if (this.queued === this.ring.length) this.grow();
    this.ring[(this.head + this.queued) & (this.ring.length - 1)] = entry;
    this.queued++;
    this.onPeak(this.queued);
    this.notify();
  }

  end(end: StreamEnd): void {
    if (this.ended) return;
    this.ended = end;
    this.direct = null;
    this.ring = new Array<FeedEntry | undefined>(RING_START);
    this.head = 0;
    this.queued = 0;
    this.notify();
    const onEnd = this.onEnd;
    this.onEnd = null;
    onEnd?.();
  }

  /** The oldest queued entry, taken off the queue; null when none is queued or the stream has ended. */
  next(): FeedEntry | null {
    if (this.ended || this.queued === 0) return null;
    const entry = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.queued--;
    return entry;
  }

  /** Resolves once an entry is queued or the stream has ended. */
  wait(): Promise<void> {
    if (this.ended || this.queued > 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiting = resolve;
    });
  }

  /** Doubles the ring (its length stays a power of two), the queued entries first and in order. */
  private grow(): void {
    const ring = new Array<FeedEntry | undefined>(this.ring.length * 2);
    for (let i = 0; i < this.queued; i++) ring[i] = this.ring[(this.head + i) & (this.ring.length - 1)];
    this.ring = ring;
    this.head = 0;
  }

  private notify(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }
}

/** What a live stream needs of its feed. */
interface StreamHost {
  open(input: LiveStreamInput): Promise<{ subscriber: Subscriber; start: Position }>;
  close(subscriber: Subscriber): void;
  resumePoint(
    workspaceId: string,
    userId: string,
    resume: ResumeFrom,
  ): Promise<{ position: Position; sentAhead: readonly number[] } | null>;
  /** A page of the stream's backlog after `from`, as entries; `full`: there may be more. */
  backlog(workspaceId: string, userId: string, from: Position): Promise<{ entries: FeedEntry[]; full: boolean }>;
  control(event: FeedEvent, input: LiveStreamInput, subscriber: Subscriber): { role?: WorkspaceRole } | null;
  log: Logger;
}

/**
 * One client's live stream: registers with the feed, says whether it resumed, replays the
 * backlog after the client's last id, then passes on the feed's entries. What it sends is
 * decided entry by entry (`accept`), the same whether its consumer iterates it or takes its
 * items pushed (PUSH: entries then go from the feed's call straight to the consumer while
 * it has room, and queue, bounded as ever, while it has none).
 */
export class LiveStream implements PushStream<LiveItem> {
  private subscriber: Subscriber | null = null;
  private role: WorkspaceRole;
  // The stream's position in commit order: everything of it at or before `sent` was sent (or
  // was before it started, or the client had it). Nothing at or before it is sent again.
  private sent: Position = { txId: "0", id: 0 };
  private sentTx = 0n;
  // Events sent after `sent`, from their commits' wake-ups: a read reaching one moves `sent`
  // past it without sending it again. In every SSE id sent while it is not empty.
  private sentAhead = SentAhead.NONE;
  // The first event this stream left to the reads with others sent ahead (the bound was
  // reached): until a read passes it, nothing more is sent ahead.
  private leftToReads: FeedEntry | null = null;
  // The role change the stream's role comes from (null: the role it opened with).
  private roleFrom: FeedEntry | null = null;
  private readonly types: ReadonlySet<string> | null;
  private consumed = false;
  /** Pushed: the consumer, whether it is full, and what wakes the driver (room again, full, ended). */
  private sink: PushSink<LiveItem> | null = null;
  private full = false;
  private wakeDriver: (() => void) | null = null;
  private readonly abort = () => this.subscriber?.end({ reason: "closed" });

  constructor(
    private readonly input: LiveStreamInput,
    private readonly host: StreamHost,
  ) {
    this.role = input.role;
    this.types = input.types && input.types.length > 0 ? new Set<string>(input.types) : null;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<LiveItem, void> {
    this.claim();
    try {
      yield* this.opening();
      const subscriber = this.subscriber!;
      while (true) {
        const entry = subscriber.next();
        if (!entry) {
          if (subscriber.ended) break;
          await subscriber.wait();
          continue;
        }
        const item = this.accept(entry);
        if (subscriber.ended) break;
        if (item) yield item;
      }
      this.finish();
    } finally {
      this.release();
    }
  }

  [PUSH](sink: PushSink<LiveItem>): PushHandle {
    this.claim();
    this.sink = sink;
    const done = (async () => {
      try {
        for await (const item of this.opening()) if (!sink(item)) await this.pause();
        const subscriber = this.subscriber!;
        while (!subscriber.ended) {
          // What queued meanwhile (during the backlog, or while the consumer was full) first, in order.
          let entry: FeedEntry | null;
          while (!this.full && (entry = subscriber.next())) {
            const item = this.accept(entry);
            if (item && !subscriber.ended && !sink(item)) this.full = true;
          }
          if (subscriber.ended) break;
          if (this.full) {
            await this.pause();
            continue;
          }
          // Nothing queued and room for more: the feed hands entries straight to `take` until
          // the consumer is full or the stream ends.
          subscriber.direct = this.take;
          await this.until();
          subscriber.direct = null;
        }
        this.finish();
      } finally {
        this.release();
      }
    })();
    return {
      done,
      resume: () => {
        if (!this.full) return;
        this.full = false;
        this.wake();
      },
    };
  }

  /** An entry from the feed's call, while pushed with nothing queued. */
  private readonly take = (entry: FeedEntry): void => {
    const subscriber = this.subscriber!;
    try {
      const item = this.accept(entry);
      if (item && !subscriber.ended && !this.sink!(item)) {
        this.full = true;
        subscriber.direct = null;
        this.wake();
      }
    } catch (error) {
      // Never into the feed's loop over the other streams: this one ends with the error.
      subscriber.end({ reason: "failed", error });
    }
  };

  private readonly wake = (): void => {
    const wake = this.wakeDriver;
    this.wakeDriver = null;
    wake?.();
  };

  /** Until the driver is woken: the consumer has room again, it is full, or the stream ended. */
  private until(): Promise<void> {
    if (this.subscriber?.ended) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wakeDriver = resolve;
    });
  }

  /** The consumer is full: until it has room again or the stream ended. */
  private async pause(): Promise<void> {
    this.full = true;
    while (this.full && !this.subscriber?.ended) await this.until();
  }

  private claim(): void {
    if (this.consumed) throw new Error("a live stream is consumed once");
    this.consumed = true;
  }

  /** Registers with the feed, says whether it resumed, and replays what the client missed. */
  private async *opening(): AsyncGenerator<LiveItem, void> {
    const { input, host } = this;
    const { subscriber, start } = await host.open(input);
    this.subscriber = subscriber;
    subscriber.onEnd = this.wake;
    input.signal?.addEventListener("abort", this.abort, { once: true });
    if (input.signal?.aborted) subscriber.end({ reason: "closed" });
    this.sent = start;
    this.sentTx = BigInt(start.txId);
    const resume = input.lastEventId != null ? parseLiveEventId(input.lastEventId) : null;
    const from = resume ? await host.resumePoint(input.workspaceId, input.userId, resume) : null;
    yield { id: null, message: { kind: "ready", resumed: input.lastEventId != null ? from !== null : null } };
    if (!from) return;
    this.sent = from.position;
    this.sentTx = BigInt(from.position.txId);
    this.sentAhead = SentAhead.of(from.sentAhead);
    while (!subscriber.ended) {
      const page = await host.backlog(input.workspaceId, input.userId, this.sent);
      for (const entry of page.entries) {
        this.sent = entry.event;
        this.sentTx = entry.tx;
        if (this.sentAhead.has(entry.event.id)) {
          this.sentAhead = this.sentAhead.without(entry.event.id);
          continue;
        }
        if (this.visible(entry)) yield this.itemOf(entry);
      }
      if (!page.full) break;
    }
  }

  /**
   * What to send for an entry from the feed, if anything, moving the stream's position.
   * Null also when the entry ended the stream.
   */
  private accept(entry: FeedEntry): LiveItem | null {
    const subscriber = this.subscriber!;
    // Replayed already, or heard twice: commit order (tx_id, id), on the parsed tx id.
    if (entry.tx < this.sentTx || (entry.tx === this.sentTx && entry.event.id <= this.sent.id)) return null;
    // A removal, erasure or role change concerning this stream applies as soon as it is
    // heard, whether or not the stream shows the event: nothing sent after it may pass it.
    const control = this.host.control(entry.event, this.input, subscriber);
    // Heard again from the read after a newer one came from its wake-up: the newer stands.
    const roleFrom = this.roleFrom;
    if (
      control?.role &&
      (roleFrom === null || entry.tx > roleFrom.tx || (entry.tx === roleFrom.tx && entry.event.id > roleFrom.event.id))
    ) {
      this.role = control.role;
      this.roleFrom = entry;
    }
    if (subscriber.ended) return null;
    if (entry.direct) {
      // Sent now, ahead of commit order. What this stream does not show is left to the
      // reads. Past the bound an event it shows is too, and so is everything after it until
      // the reads pass it: a later event must not arrive before an earlier one.
      if (this.sentAhead.has(entry.event.id) || !this.visible(entry)) return null;
      if (this.leftToReads === null && this.sentAhead.size >= SENT_AHEAD_MAX) this.leftToReads = entry;
      if (this.leftToReads !== null) return null;
      this.sentAhead = this.aheadAfter(entry, true);
    } else {
      this.sent = entry.event;
      this.sentTx = entry.tx;
      const left = this.leftToReads;
      if (left !== null && (entry.tx > left.tx || (entry.tx === left.tx && entry.event.id >= left.event.id)))
        this.leftToReads = null;
      if (this.sentAhead.has(entry.event.id)) {
        this.sentAhead = this.aheadAfter(entry, false);
        return null;
      }
    }
    return this.visible(entry) ? this.itemOf(entry) : null;
  }

  /** The ids sent ahead with the entry's event added (sent ahead now) or taken out (read): shared with the stream before it in the same state. */
  private aheadAfter(entry: FeedEntry, added: boolean): SentAhead {
    const from = this.sentAhead;
    const memo = entry.aheadAfter;
    if (memo?.from === from) return memo.to;
    const to = added ? from.with(entry.event.id) : from.without(entry.event.id);
    entry.aheadAfter = { from, to };
    return to;
  }

  /** Restriction was decided once for the event (FeedEntry); what is left is per stream and synchronous. */
  private visible(entry: FeedEntry): boolean {
    return (
      !entry.restricted &&
      (!this.types || this.types.has(entry.event.type)) &&
      eventVisibleTo(entry.event.type, this.role)
    );
  }

  /**
   * The SSE id that resumes right after this entry: the shared item's (its own event id) when
   * the stream is at that event in commit order with nothing sent ahead, else the position and
   * the ids sent ahead of it.
   */
  private itemOf(entry: FeedEntry): LiveItem {
    const ahead = this.sentAhead;
    if (ahead.size === 0) return entry.item;
    const sent = this.sent;
    const memo = entry.aheadItem;
    if (memo?.ahead === ahead && memo.sent === sent) return memo.item;
    const item = { id: `${sent.txId}:${sent.id}:${ahead.text}`, message: entry.item.message };
    entry.aheadItem = { ahead, sent, item };
    return item;
  }

  /** How the stream ended: a refusal (or a failure) is the stream's error. */
  private finish(): void {
    const end = this.subscriber?.ended ?? null;
    if (end?.reason === "refused" || end?.reason === "failed") throw end.error;
    if (end?.reason === "slow")
      this.host.log.info({ userId: this.input.userId }, "live stream dropped: client reads too slowly");
  }

  private release(): void {
    this.input.signal?.removeEventListener("abort", this.abort);
    if (this.subscriber) this.host.close(this.subscriber);
  }
}

export interface LiveStreamInput {
  workspaceId: string;
  userId: string;
  /** The sign-in session the stream was opened with: the stream ends when that session is ended. */
  sessionId?: string | undefined;
  role: WorkspaceRole;
  /** When the access token the stream was opened with expires: the stream ends then. */
  tokenExpiresAtMs: number;
  types?: readonly DomainEventType[] | undefined;
  /** The last SSE id the client has (`LIVE_EVENT_ID`); the stream replays what came after it. */
  lastEventId?: string | number | null | undefined;
  signal?: AbortSignal | undefined;
  /** Called when a slow client is dropped: the connection goes, not just the stream. */
  dropConnection?: (() => void) | undefined;
}

/**
 * The live activity stream of this instance. Every instance tails the outbox itself,
 * in commit order (tx_id, id) and only below the oldest running transaction, exactly as
 * the dispatcher does; broadcasts of committed events (Redis pub/sub, or the local bus
 * without Redis) only wake it up. So what a stream delivers never depends on a
 * broadcast arriving, and any instance can resume any client: a stream registers for
 * new events first, then replays the outbox after the client's last event id, and drops
 * whatever it has already sent by comparing commit positions.
 */
export class LiveFeed {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly restrictions: RestrictionIndex;
  private readonly bufferLimit: number;
  private readonly maxLagMs: number;
  private readonly perUserLimit: number;
  /** While anyone listens, the outbox is read this often even without a wake-up (one may be lost). */
  private readonly safetyReadMs: number;
  private readonly sentAheadReadMs: number;
  private readonly byWorkspace = new Map<string, Set<Subscriber>>();
  private readonly perUser = new Map<string, number>();
  private position: Position | null = null;
  private positioning: Promise<void> | null = null;
  /** Bumped when the last stream closes: a read begun before belongs to no one. */
  private epoch = 0;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private safetyTimer: NodeJS.Timeout | null = null;
  private peakQueued = 0;
  /** The newest committed transaction this instance was told of and has not read below the horizon yet. */
  private awaitedTx: bigint | null = null;
  private heldBackTimer: NodeJS.Timeout | null = null;
  /** The read after commits whose events were handed out from their wake-ups. */
  private sentAheadReadTimer: NodeJS.Timeout | null = null;
  /** Events sent ahead since that read was last asked for. */
  private sentAheadSinceRead = 0;
  /** The newest transaction whose events were handed out from its wake-up and not read yet. */
  private aheadTx: bigint | null = null;
  /** The transaction holding the read of those back, whose announced end reads again at once. */
  private aheadHorizon: bigint | null = null;
  /**
   * Commits named whole that came while one the feed must read was unread (`awaitedTx`): handed
   * out, in the order they came, once the reads pass it (those the reads reached meanwhile are
   * then dropped by the streams as heard twice). Bounded: past `HELD_AHEAD_MAX` events they are
   * awaited from the reads like the one before them.
   */
  private heldAhead: { txId: string; events: readonly WrittenEvent[] }[] = [];
  private heldAheadEvents = 0;
  private heldBackRetryMs = HELD_BACK_FIRST_RETRY_MS;
  /** The horizon holding the awaited transaction back, and since when (performance.now()): a hold is one horizon that does not move. */
  private heldBackHorizon: bigint | null = null;
  private heldBackSince = 0;
  /** Transactions announced as ended while anyone listens (insertion order, bounded). */
  private readonly endedTxs = new Set<bigint>();
  /** Reads of the outbox so far (stats). */
  private outboxReads = 0;
  /** Ids of the events most recently handed to the streams (insertion order, bounded). */
  private readonly recentIds = new Set<number>();

  constructor(deps: ServiceDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.log = deps.log.child({ component: "live" });
    this.restrictions = deps.restrictions;
    this.bufferLimit = deps.config.LIVE_STREAM_BUFFER;
    this.maxLagMs = deps.config.LIVE_STREAM_MAX_LAG_MS;
    this.perUserLimit = deps.config.LIVE_STREAMS_PER_USER;
    this.safetyReadMs = deps.config.LIVE_SAFETY_READ_MS;
    this.sentAheadReadMs = deps.config.LIVE_SENT_AHEAD_READ_MS;
  }

  /**
   * The bus listener: the relay broadcast committed events; read the outbox if anyone
   * listens and the event is not one this feed has just handed out (the commit's own
   * wake-up usually got there first).
   */
  readonly onEvent = (event: DomainEvent): void => {
    if (this.byWorkspace.size > 0 && !this.recentIds.has(event.id)) this.wake();
  };

  /**
   * Some instance just committed a write (usually before the relay gets to it). When its
   * writer knew the events whole, they go to the streams now, and the outbox is read a little
   * later (`LIVE_SENT_AHEAD_READ_MS`) to move each stream's position past them in commit
   * order. Otherwise it is read now (if anyone listens), and with the transaction's id the feed
   * knows what it waits for: until its reads reach past that transaction, it reads again
   * shortly after each.
   */
  readonly onCommit = (commit: CommitNotice): void => {
    if (this.byWorkspace.size === 0) return;
    const { txId, events } = commit;
    // Sent ahead only while no commit this feed was told of is still unread (`awaitedTx`): one
    // whose events its wake-up did not carry (a bulk write, a lost detail) must reach the streams
    // first, or a later change could arrive before the one it follows. A bulk write's events
    // would fill the streams' queues twice (now and from the read); they come from the read.
    if (
      txId !== null &&
      this.position &&
      events &&
      events.length > 0 &&
      events.length <= SENT_AHEAD_MAX &&
      events.every((event) => event.detail)
    ) {
      if (this.awaitedTx === null) this.sendAhead(txId, events);
      else if (this.heldAheadEvents + events.length <= HELD_AHEAD_MAX) {
        this.heldAhead.push({ txId, events });
        this.heldAheadEvents += events.length;
      } else {
        // Too many waiting: these too come from the reads, in commit order.
        for (const held of this.heldAhead) this.awaitRead(BigInt(held.txId));
        this.heldAhead = [];
        this.heldAheadEvents = 0;
        this.awaitRead(BigInt(txId));
      }
      return;
    }
    if (txId !== null) this.awaitRead(BigInt(txId));
    this.wake();
  };

  /** A committed transaction whose events the feed must read before it sends any other ahead. */
  private awaitRead(tx: bigint): void {
    if (this.awaitedTx === null || tx > this.awaitedTx) this.awaitedTx = tx;
  }

  /** A commit's events to the streams now, and the read that moves their positions past them a little later. */
  private sendAhead(txId: string, events: readonly WrittenEvent[]): void {
    this.deliverNow(txId, events);
    const tx = BigInt(txId);
    if (this.aheadTx === null || tx > this.aheadTx) this.aheadTx = tx;
    this.sentAheadSinceRead += events.length;
    this.readAheadSoon();
  }

  private readAheadSoon(): void {
    if (this.sentAheadSinceRead >= SENT_AHEAD_READ_AT) {
      if (this.sentAheadReadTimer) clearTimeout(this.sentAheadReadTimer);
      this.readAhead();
      return;
    }
    this.sentAheadReadTimer ??= setTimeout(this.readAhead, this.sentAheadReadMs).unref();
  }

  private readonly readAhead = (): void => {
    this.sentAheadReadTimer = null;
    this.sentAheadSinceRead = 0;
    this.wake();
  };

  /**
   * A dispatcher batch's transaction ended (on this instance or another). If it is the one
   * holding the awaited transaction back, read again now instead of at the next retry.
   */
  readonly onBatchEnded = (txId: string): void => {
    if (this.byWorkspace.size === 0) return;
    const tx = BigInt(txId);
    this.endedTxs.add(tx);
    if (this.endedTxs.size > ENDED_TXS) this.endedTxs.delete(this.endedTxs.values().next().value!);
    const awaited = this.awaitedTx !== null && tx === this.heldBackHorizon;
    if (!awaited && !(this.aheadTx !== null && tx === this.aheadHorizon)) return;
    if (awaited && this.heldBackTimer) {
      clearTimeout(this.heldBackTimer);
      this.heldBackTimer = null;
    }
    this.wake();
  };

  /** Open streams and the most events one of them has had queued (tests, diagnostics). */
  stats(): { streams: number; peakQueued: number; outboxReads: number } {
    let streams = 0;
    for (const set of this.byWorkspace.values()) streams += set.size;
    return { streams, peakQueued: this.peakQueued, outboxReads: this.outboxReads };
  }

  /** A live stream for a client: registered with the feed once it is consumed (iterated or pushed). */
  stream(input: LiveStreamInput): LiveStream {
    return new LiveStream(input, {
      open: (streamInput) => this.open(streamInput),
      close: (subscriber) => this.close(subscriber),
      resumePoint: (workspaceId, userId, resume) => this.resumePoint(workspaceId, userId, resume),
      backlog: async (workspaceId, userId, from) => {
        const page = await this.backlog(workspaceId, userId, from);
        return { entries: await this.entries(page, false), full: page.length >= BACKLOG_PAGE };
      },
      control: (event, streamInput, subscriber) => this.control(event, streamInput, subscriber),
      log: this.log,
    });
  }

  /** The feed's entries for events read from the outbox (or, `direct`, named whole by their commit), in their order. */
  private async entries(events: FeedEvent[], direct: boolean): Promise<FeedEntry[]> {
    const contactIds = new Set<string>();
    for (const event of events) {
      const contactId = event.payload.contactId;
      if (typeof contactId === "string" && !RESTRICTION_EVENTS.has(event.type)) contactIds.add(contactId);
    }
    // Processing of a restricted person's record stops (GDPR Art. 18): no live news of it.
    const restricted = contactIds.size > 0 ? await this.restrictions.restrictedContacts([...contactIds]) : null;
    const readAt = performance.now();
    return events.map((event) => {
      const contactId = event.payload.contactId;
      const message: LiveMessage = Object.freeze({
        kind: "event",
        event: {
          id: event.id,
          type: event.type,
          workspaceId: event.workspaceId,
          actorId: event.actorId,
          payload: event.payload,
          createdAt: event.createdAt,
        },
      });
      return {
        event,
        tx: BigInt(event.txId),
        restricted:
          restricted !== null &&
          typeof contactId === "string" &&
          !RESTRICTION_EVENTS.has(event.type) &&
          restricted.has(contactId),
        item: { id: String(event.id), message },
        readAt,
        direct,
      };
    });
  }

  /** Membership and session changes that concern the stream's own user. */
  private control(event: FeedEvent, input: LiveStreamInput, subscriber: Subscriber): { role?: WorkspaceRole } | null {
    const payload = event.payload as {
      userId?: string;
      userIds?: string[];
      sessionIds?: string[];
      workspaceId?: string;
      to?: string;
    };
    const aboutMe = payload.userId === input.userId;
    if (event.type === "member.removed" && aboutMe) {
      subscriber.end({ reason: "refused", error: unauthorized("You are no longer a member of this workspace") });
    } else if (
      event.type === "user.sessions_ended" &&
      aboutMe &&
      input.sessionId !== undefined &&
      payload.sessionIds?.includes(input.sessionId)
    ) {
      subscriber.end({ reason: "refused", error: unauthorized("Session ended; sign in again") });
    } else if (event.type === "user.erased" && aboutMe) {
      subscriber.end({ reason: "refused", error: unauthorized("This account was deleted") });
    } else if (event.type === "workspace.deleted" && payload.workspaceId === input.workspaceId) {
      subscriber.end({ reason: "refused", error: notFound("Workspace") });
    } else if (event.type === "member.role_changed" && aboutMe) {
      return { role: payload.to as WorkspaceRole };
    }
    return null;
  }

  /** Registers the stream; `start` is the feed's position then: every later event is queued for it. */
  private async open(input: LiveStreamInput): Promise<{ subscriber: Subscriber; start: Position }> {
    const { workspaceId, userId } = input;
    const open = this.perUser.get(userId) ?? 0;
    if (open >= this.perUserLimit) throw tooManyRequests(5);
    const subscriber = new Subscriber(
      workspaceId,
      userId,
      input.tokenExpiresAtMs,
      this.bufferLimit,
      this.maxLagMs,
      (queued) => {
        if (queued > this.peakQueued) this.peakQueued = queued;
      },
      input.dropConnection,
    );
    this.perUser.set(userId, open + 1);
    let set = this.byWorkspace.get(workspaceId);
    if (!set) this.byWorkspace.set(workspaceId, (set = new Set()));
    set.add(subscriber);
    let start = this.position;
    try {
      // The feed's position must be fixed before the stream reads its backlog: every
      // event after it is delivered live, every event before it is in the backlog.
      await this.ensurePosition();
    } catch (error) {
      this.close(subscriber);
      throw error;
    }
    // Positioned just now: no read has run since (a read needs the position). None: every
    // stream closed meanwhile, this one too.
    start ??= this.position ?? { txId: "0", id: 0 };
    if (!this.safetyTimer) {
      this.safetyTimer = setInterval(() => {
        this.endExpired();
        this.wake();
      }, this.safetyReadMs);
      this.safetyTimer.unref();
    }
    return { subscriber, start };
  }

  private close(subscriber: Subscriber): void {
    subscriber.end({ reason: "closed" });
    const set = this.byWorkspace.get(subscriber.workspaceId);
    if (!set?.delete(subscriber)) return;
    if (set.size === 0) this.byWorkspace.delete(subscriber.workspaceId);
    const open = (this.perUser.get(subscriber.userId) ?? 1) - 1;
    if (open > 0) this.perUser.set(subscriber.userId, open);
    else this.perUser.delete(subscriber.userId);
    if (this.byWorkspace.size === 0) {
      // Nobody listens: stop reading, and start from the then-newest event next time.
      this.epoch++;
      this.position = null;
      this.positioning = null;
      if (this.safetyTimer) clearInterval(this.safetyTimer);
      this.safetyTimer = null;
      if (this.heldBackTimer) clearTimeout(this.heldBackTimer);
      this.heldBackTimer = null;
      if (this.sentAheadReadTimer) clearTimeout(this.sentAheadReadTimer);
      this.sentAheadReadTimer = null;
      this.sentAheadSinceRead = 0;
      this.awaitedTx = null;
      this.aheadTx = null;
      this.aheadHorizon = null;
      this.heldAhead = [];
      this.heldAheadEvents = 0;
      this.heldBackRetryMs = HELD_BACK_FIRST_RETRY_MS;
      this.heldBackHorizon = null;
      this.endedTxs.clear();
      this.recentIds.clear();
    }
  }

  /**
   * A stream lives no longer than the token it was opened with: the client reconnects
   * with a fresh one (and so is authorized again), or stays out.
   */
  private endExpired(): void {
    const now = this.clock.now().getTime();
    for (const set of this.byWorkspace.values())
      for (const subscriber of set)
        if (subscriber.tokenExpiresAtMs <= now)
          subscriber.end({ reason: "refused", error: unauthorized("Access token expired; refresh it") });
  }

  private ensurePosition(): Promise<void> {
    this.positioning ??= (async () => {
      const epoch = this.epoch;
      const head = await newestCommittedPosition(this.db);
      if (epoch === this.epoch) this.position = head;
    })().catch((error: unknown) => {
      this.positioning = null;
      throw error;
    });
    return this.positioning;
  }

  private wake(): void {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.readNew()
      .catch((error: unknown) => this.log.warn({ err: error }, "live feed could not read the outbox; retrying"))
      .finally(() => {
        this.reading = null;
        if (this.readAgain) {
          this.readAgain = false;
          this.wake();
        }
      });
  }

  /** Reads everything committed after the feed's position and hands it to the streams. */
  private async readNew(): Promise<void> {
    let horizon: string | null = null;
    while (this.position && this.byWorkspace.size > 0) {
      const epoch = this.epoch;
      this.outboxReads++;
      // This read passes what was sent ahead until now, whoever asked for it.
      this.sentAheadSinceRead = 0;
      const read = await readCommittedEventsBelowHorizon(this.db, { after: this.position, limit: READ_BATCH });
      if (epoch !== this.epoch) return;
      const rows = read.events;
      horizon = read.horizon;
      if (rows.length > 0) {
        const entries = await this.entries(rows, false);
        if (epoch !== this.epoch) return;
        for (const entry of entries) this.deliver(entry);
        const last = rows[rows.length - 1]!;
        this.position = { txId: last.txId, id: last.id };
      }
      if (rows.length < READ_BATCH) break;
    }
    if (horizon !== null) this.readAgainIfHeldBack(BigInt(horizon));
  }

  /**
   * A transaction this instance was told had committed is not below the horizon yet: its
   * events are not readable until the older transaction that holds the horizon ends, which
   * nothing announces. Read again shortly (backing off while it stays held back) rather
   * than waiting for the next commit, the relay or the safety read.
   */
  private readAgainIfHeldBack(horizon: bigint): void {
    // Commits sent ahead: their read only moves the streams' positions (and delivers what a
    // stream left to it), so while it is held back it is tried again at that read's pace, or
    // as soon as the batch holding it ends.
    if (this.aheadTx !== null) {
      if (this.aheadTx < horizon) {
        this.aheadTx = null;
        this.aheadHorizon = null;
      } else {
        this.aheadHorizon = horizon;
        this.readAheadSoon();
      }
    }
    if (this.awaitedTx === null) return;
    if (this.awaitedTx < horizon) {
      this.awaitedTx = null;
      this.heldBackRetryMs = HELD_BACK_FIRST_RETRY_MS;
      this.heldBackHorizon = null;
      const held = this.heldAhead;
      this.heldAhead = [];
      this.heldAheadEvents = 0;
      for (const { txId, events } of held) this.sendAhead(txId, events);
      return;
    }
    // Before looking at a pending retry: a read that some other wake-up started may find
    // another transaction holding the awaited one back, and it is that one's end which
    // must now read again at once (onBatchEnded compares with heldBackHorizon).
    if (this.heldBackHorizon !== horizon) {
      this.heldBackHorizon = horizon;
      this.heldBackSince = performance.now();
      this.heldBackRetryMs = Math.min(this.heldBackRetryMs, HELD_BACK_YOUNG_MAX_RETRY_MS);
      // It ended after this read's snapshot was taken (its end was heard meanwhile): the next
      // read passes it. Once per horizon, so a read can never loop on one.
      if (this.endedTxs.has(horizon)) {
        if (this.heldBackTimer) clearTimeout(this.heldBackTimer);
        this.heldBackTimer = null;
        this.wake();
        return;
      }
    }
    if (this.heldBackTimer) return;
    this.heldBackTimer = setTimeout(() => {
      this.heldBackTimer = null;
      this.wake();
    }, this.heldBackRetryMs);
    this.heldBackTimer.unref();
    const young = performance.now() - this.heldBackSince < HELD_BACK_YOUNG_MS;
    this.heldBackRetryMs = Math.min(
      this.heldBackRetryMs * 2,
      young ? HELD_BACK_YOUNG_MAX_RETRY_MS : HELD_BACK_MAX_RETRY_MS,
    );
  }

  /**
   * A commit's events, named whole by its wake-up, to the streams now: ahead of the read that
   * will find them in commit order (which still comes, and moves the streams' positions).
   */
  private deliverNow(txId: string, events: readonly WrittenEvent[]): void {
    const epoch = this.epoch;
    const heard = events.filter((event) => event.workspaceId === null || this.byWorkspace.has(event.workspaceId));
    if (heard.length === 0) return;
    const rows: FeedEvent[] = heard.map(({ id, workspaceId, type, detail }) => ({
      id,
      txId,
      workspaceId,
      type,
      actorId: detail!.actorId,
      payload: detail!.payload,
      createdAt: detail!.createdAt,
    }));
    this.entries(rows, true)
      .then((entries) => {
        if (epoch !== this.epoch) return;
        for (const entry of entries) this.deliver(entry);
      })
      .catch((error: unknown) => this.log.warn({ err: error }, "live feed could not hand out a commit's events"));
  }

  private deliver(entry: FeedEntry): void {
    const event = entry.event;
    // Read or handed out from its commit (whose read is due): the relay's broadcast of it later needs no read.
    this.recentIds.add(event.id);
    if (this.recentIds.size > RECENT_IDS) this.recentIds.delete(this.recentIds.values().next().value!);
    if (event.workspaceId) {
      for (const subscriber of this.byWorkspace.get(event.workspaceId) ?? []) subscriber.offer(entry);
      return;
    }
    // Events of no workspace (an erased account, a deleted workspace) go to the streams they end.
    const payload = event.payload as { userId?: string; workspaceId?: string };
    for (const [workspaceId, set] of this.byWorkspace)
      for (const subscriber of set)
        if (payload.userId === subscriber.userId || payload.workspaceId === workspaceId) subscriber.offer(entry);
  }

  /**
   * Where to resume, or null when it is outside the replay window: a plain id that is not an
   * event of this stream (the workspace's, or the user's own personal ones such as
   * notification.created), a position that is no event's, or one older than the window's time
   * and more than its count of events back.
   */
  private async resumePoint(
    workspaceId: string,
    userId: string,
    resume: ResumeFrom,
  ): Promise<{ position: Position; sentAhead: number[] } | null> {
    const { eventId, position: named } = resume;
    // A position is any event's (a stream starts at the feed's, which may be another workspace's):
    // it only says where in commit order; what is replayed is the stream's own.
    const [row] = await queryRows<{ tx_id: string; created_at: Date | string }>(
      this.db,
      eventId !== null
        ? sql`SELECT tx_id::text AS tx_id, created_at FROM domain_events WHERE id = ${eventId} AND ${eventOf(workspaceId, userId)}`
        : sql`SELECT tx_id::text AS tx_id, created_at FROM domain_events WHERE id = ${named.id} AND tx_id = ${named.txId}::xid8`,
    );
    if (!row) return null;
    const from = { position: { txId: row.tx_id, id: named.id }, sentAhead: resume.sentAhead };
    if (new Date(row.created_at).getTime() >= this.clock.now().getTime() - REPLAY_WINDOW_MS) return from;
    const [since] = await queryRows<{ n: number | string }>(
      this.db,
      sql`SELECT count(*) AS n FROM (
            SELECT 1 FROM domain_events
            WHERE workspace_id = ${workspaceId} AND (tx_id, id) > (${row.tx_id}::xid8, ${named.id}::bigint)
            LIMIT ${REPLAY_WINDOW_EVENTS + 1}) AS missed`,
    );
    return Number(since?.n ?? 0) <= REPLAY_WINDOW_EVENTS ? from : null;
  }

  /** A page of the stream's committed events after `from` (the workspace's and the user's own), in commit order. */
  private async backlog(workspaceId: string, userId: string, from: Position): Promise<FeedEvent[]> {
    return readCommittedEvents(this.db, { after: from, workspaceId, personalTo: userId, limit: BACKLOG_PAGE });
  }
}

/** A client's last SSE id (`LIVE_EVENT_ID`) as where to resume; null when it is not one. */
function parseLiveEventId(lastEventId: string | number): ResumeFrom | null {
  if (typeof lastEventId === "number")
    return Number.isSafeInteger(lastEventId) && lastEventId >= 0
      ? { eventId: lastEventId, position: { txId: "0", id: lastEventId }, sentAhead: [] }
      : null;
  if (!isLiveEventId(lastEventId)) return null;
  const [first, id, ahead] = lastEventId.split(":");
  if (id === undefined) return { eventId: Number(first), position: { txId: "0", id: Number(first) }, sentAhead: [] };
  return {
    eventId: null,
    position: { txId: first!, id: Number(id) },
    sentAhead: ahead ? ahead.split(",").map(Number) : [],
  };
}
