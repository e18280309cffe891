import type http from "node:http";
import type { Socket } from "node:net";
import { isPushStream, PUSH } from "@rapport/api";
import { type AnyTRPCRouter, TRPCError } from "@trpc/server";
import {
  getErrorShape,
  getProcedureAtPath,
  getTRPCErrorFromUnknown,
  isAbortError,
  isAsyncIterable,
  isObject,
  isTrackedEnvelope,
  parseConnectionParamsFromString,
  sseHeaders,
} from "@trpc/server/unstable-core-do-not-import";

type ConnectionParams = ReturnType<typeof parseConnectionParamsFromString>;

/** One SSE message: its bytes, and the same bytes as one HTTP/1.1 chunk (size line, message, CRLF). */
interface Frame {
  id: string | null;
  message: Buffer;
  chunk: Buffer;
}

/**
 * Serves tRPC subscriptions (GET /trpc/<path>) as Server-Sent Events, writing tRPC v11's
 * SSE protocol itself — the same messages httpSubscriptionLink reads (`connected` with the
 * client options, `data:` + `id:` for tracked values, `ping`, `serialized-error` with the
 * formatted error shape, `return`) — through the same procedure, context, middlewares and
 * input parser as tRPC's own handler.
 *
 * Why not tRPC's handler: it carries every message through a chain of web streams
 * (async generator → ReadableStream → TransformStream → TextEncoderStream → another
 * ReadableStream → WritableStream → res.write per line), several promise hops and three
 * socket writes per message. Profiled at 1,000 live streams and 100 events/s, that chain was
 * over 80 % of an instance's CPU, and deliveries fell tens of seconds behind. Here a message is
 * one string and one write, and a frozen value is serialized once for every stream it goes
 * to (a feed hands its subscribers the same frozen message).
 *
 * Anything unusual (a batch, a POST, input that does not parse) is left to tRPC's handler:
 * `serve` answers false without having touched the response.
 */
export function createSubscriptionResponder<TRouter extends AnyTRPCRouter>(opts: {
  router: TRouter;
  basePath: string;
  createContext: (opts: {
    req: http.IncomingMessage;
    res: http.ServerResponse;
    info: { connectionParams: ConnectionParams };
  }) => unknown;
  /** What the client is told when the stream fails after it started (the middlewares saw only its start). */
  streamError: (opts: { cause: unknown; ctx: unknown; path: string }) => TRPCError;
}) {
  const config = opts.router._def._config;
  const pingMs = config.sse?.ping?.enabled ? (config.sse.ping.intervalMs ?? 1_000) : 0;
  const connected = `event: connected\ndata: ${JSON.stringify(config.sse?.client ?? {})}\n\n`;
  const ping = "event: ping\ndata: \n\n";
  const finished = "event: return\ndata: \n\n";
  const serialize = (value: unknown): string => JSON.stringify(config.transformer.output.serialize(value));
  /**
   * The message of a frozen value, made once as the bytes of a whole HTTP chunk: it cannot
   * change while anyone still holds the value, and a feed hands the same frozen value to
   * every stream it goes to, so each of them writes the same buffer. Keyed by the value;
   * the id it was made with is kept too (a tracked value's id comes with the envelope). A
   * stream whose id for it differs (a live stream's id says what that stream has sent) gets
   * its own chunk around the same serialized value; the last such chunk is kept as well, since
   * the streams of one workspace on one instance mostly have the same.
   */
  const frames = new WeakMap<object, { data: string; first: Frame; last: Frame | null }>();
  const frameWith = (data: string, id: string | null): Frame => {
    const text = id === null ? `${data}\n` : `${data}id: ${id}\n\n`;
    const size = Buffer.byteLength(text).toString(16);
    const chunk = Buffer.from(`${size}\r\n${text}\r\n`);
    return { id, chunk, message: chunk.subarray(size.length + 2, -2) };
  };
  const frameOf = (value: unknown, id: string | null): Frame => {
    if (value === null || typeof value !== "object" || !Object.isFrozen(value))
      return frameWith(`data: ${serialize(value)}\n`, id);
    const known = frames.get(value);
    if (!known) {
      const data = `data: ${serialize(value)}\n`;
      const first = frameWith(data, id);
      frames.set(value, { data, first, last: null });
      return first;
    }
    if (known.first.id === id) return known.first;
    if (known.last?.id !== id) known.last = frameWith(known.data, id);
    return known.last;
  };

  /**
   * The messages of this tick, per socket, written when the tick ends: a feed hands an event to
   * every stream in one call, and the messages a stream is handed in one tick (a read's backlog,
   * the generators' microtasks) leave in one system call. Kept here rather than in the socket
   * corked until the tick ends: corking buffers each write as an entry of the socket's own and
   * flushes them through a second write path, allocations per message that at hundreds of
   * streams per event were a fifth of what an instance allocated (more scavenges, and their
   * pauses are the tail of delivery latency).
   */
  let due: PendingWrites[] = [];
  const writeDue = () => {
    const writes = due;
    due = [];
    for (const pending of writes) {
      // One socket's failure ends its own stream, never the writes of the others after it.
      try {
        pending.flush();
      } catch (error) {
        pending.fail(error);
      }
    }
  };
  const queueWrite = (pending: PendingWrites, chunk: Buffer) => {
    if (pending.add(chunk)) {
      if (due.length === 0) process.nextTick(writeDue);
      due.push(pending);
    }
  };

  return async function serve(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
    if (req.method !== "GET" || !url.pathname.startsWith(opts.basePath)) return false;
    const path = url.pathname.slice(opts.basePath.length);
    // A batch, or anything encoded, is tRPC's to answer.
    if (!/^[\w.]+$/.test(path) || url.searchParams.has("batch")) return false;
    const procedure = await getProcedureAtPath(opts.router, path);
    if (procedure?._def.type !== "subscription") return false;
    let input: unknown;
    let connectionParams: ConnectionParams;
    try {
      const inputText = url.searchParams.get("input");
      input = inputText === null ? undefined : config.transformer.input.deserialize(JSON.parse(inputText));
      const paramsText = url.searchParams.get("connectionParams");
      connectionParams = paramsText === null ? null : parseConnectionParamsFromString(paramsText);
    } catch {
      return false;
    }
    // A reconnecting EventSource sends the last id it saw: it becomes the input's lastEventId.
    const headerId = req.headers["last-event-id"];
    const lastEventId =
      (Array.isArray(headerId) ? headerId[0] : headerId) ||
      url.searchParams.get("lastEventId") ||
      url.searchParams.get("Last-Event-Id");
    if (lastEventId) input = isObject(input) ? { ...input, lastEventId } : (input ?? { lastEventId });

    const abort = new AbortController();
    // A plain flag on the path of every message: the signal's getter checks its receiver on each read.
    let closed = false;
    res.once("close", () => {
      closed = true;
      abort.abort();
    });
    res.writeHead(200, sseHeaders);
    res.write(connected);
    // Messages go to the socket as whole chunks: through res.write a message is four writes
    // (size, CRLF, data, CRLF), and at hundreds of streams per event that bookkeeping was most
    // of what each delivery allocated. Only while the response owns its socket (not queued
    // behind another response on it) and is chunked; otherwise res.write frames it. What this
    // stream is handed in a tick is written when the tick ends (`queueWrite`): each socket
    // write is a system call that, on a loaded host, may also hand the CPU to the reader it
    // wakes; an instance behind by a few events catches up in one.
    const socket = res.socket && res.chunkedEncoding ? res.socket : null;
    const pending = socket ? new PendingWrites(socket) : null;
    /** Anything written through the response must follow the messages queued before it. */
    const writeThrough = (text: string) => {
      pending?.flush();
      res.write(text);
    };
    // A ping when nothing was sent for `pingMs`, as tRPC's producer sends: looked at every half
    // of it (so never more than `pingMs` of silence), rather than a timer moved on by every message.
    let sentSinceCheck = true;
    let pinger: NodeJS.Timeout | null = null;
    if (pingMs > 0) {
      pinger = setInterval(() => {
        if (sentSinceCheck) sentSinceCheck = false;
        else {
          writeThrough(ping);
          sentSinceCheck = true;
        }
      }, pingMs / 2);
    }
    let ctx: unknown;
    let streaming = false;
    try {
      ctx = await opts.createContext({ req, res, info: { connectionParams } });
      const data: unknown = await procedure({
        path,
        getRawInput: async () => input,
        ctx,
        type: "subscription",
        signal: abort.signal,
        batchIndex: 0,
      });
      if (!isAsyncIterable(data))
        throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: `Subscription ${path} is not an AsyncIterable` });
      streaming = true;
      const send = (value: unknown): boolean => {
        const frame = isTrackedEnvelope(value) ? frameOf(value[1], String(value[0])) : frameOf(value, null);
        sentSinceCheck = true;
        if (!pending) return res.write(frame.message);
        queueWrite(pending, frame.chunk);
        return pending.roomLeft();
      };
      if (isPushStream(data)) {
        // Values come in the producer's call (a live feed's, for every stream it serves) rather
        // than through an iterator per stream. A full socket pauses the stream, whose own
        // bounded buffer then decides what a slow client costs; its drain resumes it.
        const target = socket ?? res;
        const push = data[PUSH]((value) => !closed && send(value));
        const resume = () => push.resume();
        target.on("drain", resume);
        try {
          await push.done;
        } finally {
          target.off("drain", resume);
        }
      } else {
        for await (const value of data) {
          if (closed) break;
          // Backpressure: the procedure's own buffer decides what a slow client costs.
          if (!send(value)) await drained(socket ?? res);
        }
      }
      if (!closed) writeThrough(finished);
    } catch (cause) {
      if (!closed && !isAbortError(cause)) {
        const error = streaming ? opts.streamError({ cause, ctx, path }) : getTRPCErrorFromUnknown(cause);
        const shape = getErrorShape({ config, ctx, error, input, path, type: "subscription" });
        writeThrough(`event: serialized-error\ndata: ${serialize(shape)}\n\n`);
      }
    } finally {
      if (pinger) clearInterval(pinger);
      pending?.flush();
      res.end();
    }
    return true;
  };
}

/**
 * One stream's messages not written yet in this tick: the first as is (the common case, no
 * array), any more after it in a list, written together (one writev) when the tick ends.
 */
class PendingWrites {
  private first: Buffer | null = null;
  private more: Buffer[] | null = null;
  private bytes = 0;

  constructor(private readonly socket: Socket) {}

  /** Queues a chunk; true when it is the first of this tick (the stream is then due for a write). */
  add(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.first === null) {
      this.first = chunk;
      return true;
    }
    (this.more ??= []).push(chunk);
    return false;
  }

  /**
   * Whether the stream may be handed more: what the socket still holds and what waits here stay
   * under its high-water mark. When they do not, the write that follows fills the socket past
   * it, so its drain comes once the client has read it (the stream resumes then).
   */
  roomLeft(): boolean {
    return (
      !this.socket.writableNeedDrain && this.socket.writableLength + this.bytes < this.socket.writableHighWaterMark
    );
  }

  /** A write threw (`flush` has already let go of what it held): the connection goes, and its stream with it. */
  fail(error: unknown): void {
    this.socket.destroy(error instanceof Error ? error : new Error(String(error)));
  }

  flush(): void {
    const first = this.first;
    if (first === null) return;
    const more = this.more;
    this.first = null;
    this.more = null;
    this.bytes = 0;
    // A socket closed meanwhile takes nothing more (its stream ends on the close).
    if (this.socket.destroyed) return;
    if (more === null) {
      this.socket.write(first);
      return;
    }
    this.socket.cork();
    this.socket.write(first);
    for (const chunk of more) this.socket.write(chunk);
    this.socket.uncork();
  }
}

function drained(stream: http.ServerResponse | Socket): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
