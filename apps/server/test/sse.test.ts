import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createLogger } from "@rapport/api";
import { initTRPC, TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamErrorMapping } from "../src/http";
import { createSubscriptionResponder } from "../src/sse";

/**
 * The subscription responder, with the server's own mapping of a stream's failure, on a
 * router of its own: what a client is told when a stream fails after it started. The
 * procedure's middlewares only see the stream start, so the responder maps the failure
 * itself, as every other procedure's failure is mapped.
 */
const t = initTRPC.create({ sse: { ping: { enabled: false } } });
const router = t.router({
  breaks: t.procedure.subscription(async function* () {
    yield { n: 1 };
    throw new Error('relation "internal_table" does not exist');
  }),
  losesDatabase: t.procedure.subscription(async function* () {
    yield { n: 1 };
    throw Object.assign(new Error("write CONNECTION_ENDED 10.1.2.3:5432"), { code: "CONNECTION_ENDED" });
  }),
  /** Five values at once, as a feed read that found five events hands them to a stream. */
  burst: t.procedure.subscription(async function* () {
    // Later than the stream's start, whose first writes the server corks itself.
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let n = 1; n <= 5; n++) yield { n };
  }),
  /** Five values at once, then a pause: they are written when the tick ends, not by the stream's end. */
  burstThenPause: t.procedure.subscription(async function* () {
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let n = 1; n <= 5; n++) yield { n };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }),
  endsSession: t.procedure.subscription(async function* () {
    yield { n: 1 };
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Your session has ended" });
  }),
});

describe("subscription responder", () => {
  const lines: string[] = [];
  const log = createLogger("info", {}, { write: (line: string) => void lines.push(line) });
  const serve = createSubscriptionResponder({
    router,
    basePath: "/trpc/",
    createContext: () => ({}),
    streamError: streamErrorMapping(log),
  });
  /** Per write the server's sockets made (a call of `_write` or `_writev`): how many messages it carried. */
  const socketWrites: number[] = [];
  const server = http.createServer((req, res) => {
    void serve(req, res, new URL(req.url ?? "/", "http://test")).then((served) => {
      if (!served) res.writeHead(404).end();
    });
  });
  server.on("connection", (socket: Socket) => {
    const internals = socket as Socket & {
      _write(chunk: unknown, encoding: unknown, cb: unknown): void;
      _writev(chunks: { chunk: unknown }[], cb: unknown): void;
    };
    const write = internals._write.bind(socket);
    const writev = internals._writev.bind(socket);
    const count = (chunks: unknown[]) =>
      socketWrites.push(chunks.filter((chunk) => String(chunk).includes('{"n":')).length);
    internals._write = (chunk, encoding, cb) => {
      count([chunk]);
      write(chunk, encoding, cb);
    };
    internals._writev = (chunks, cb) => {
      count(chunks.map((c) => c.chunk));
      writev(chunks, cb);
    };
  });
  // A request asking for it gets a socket whose writes of messages throw (as a write may on a
  // socket in a state Node refuses): the writer's flush, at the tick's end, meets the throw.
  server.on("request", (req: http.IncomingMessage) => {
    if (req.headers["x-test-break-writes"] === undefined) return;
    const socket = req.socket;
    const write = socket.write.bind(socket) as (chunk: unknown) => boolean;
    socket.write = ((chunk: unknown) => {
      if (String(chunk).includes('{"n":')) throw new Error("write refused");
      return write(chunk);
    }) as typeof socket.write;
  });
  let base = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** The stream's messages: each one's `event:` (or "message") and parsed `data:`. */
  async function messages(path: string): Promise<{ event: string; data: unknown }[]> {
    const response = await fetch(`${base}/trpc/${path}`, { headers: { accept: "text/event-stream" } });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const text = await response.text();
    return text
      .split("\n\n")
      .filter((block) => block.trim() !== "")
      .map((block) => {
        const fields = new Map(
          block.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]),
        );
        const data = fields.get("data") ?? "";
        return { event: fields.get("event") ?? "message", data: data === "" ? null : JSON.parse(data) };
      });
  }

  it("tells the client only 'Internal error' when a stream breaks, and logs the cause once", async () => {
    lines.length = 0;
    const received = await messages("breaks");
    expect(received.map((m) => m.event)).toEqual(["connected", "message", "serialized-error"]);
    expect(received[1]!.data).toEqual({ n: 1 });
    const shape = received[2]!.data as { message: string; data: { code: string; httpStatus: number } };
    expect(shape.message).toBe("Internal error");
    expect(shape.data.code).toBe("INTERNAL_SERVER_ERROR");
    expect(JSON.stringify(received)).not.toContain("internal_table");
    const failures = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((l) => l.msg === "procedure failed");
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ path: "breaks", type: "subscription", level: 50 });
    expect(JSON.stringify(failures[0])).toContain("internal_table");
  });

  it("tells the client to retry when the database went away under a stream", async () => {
    lines.length = 0;
    const received = await messages("losesDatabase");
    const shape = received.at(-1)!.data as { message: string; data: { code: string; httpStatus: number } };
    expect(received.at(-1)!.event).toBe("serialized-error");
    expect(shape).toMatchObject({ data: { code: "SERVICE_UNAVAILABLE", httpStatus: 503 } });
    expect(JSON.stringify(received)).not.toContain("10.1.2.3");
    expect(lines.filter((line) => line.includes("procedure failed"))).toEqual([]);
  });

  it("passes a typed error on as it is, without logging it", async () => {
    lines.length = 0;
    const received = await messages("endsSession");
    const shape = received.at(-1)!.data as { message: string; data: { code: string } };
    expect(received.at(-1)!.event).toBe("serialized-error");
    expect(shape).toMatchObject({ message: "Your session has ended", data: { code: "UNAUTHORIZED" } });
    expect(lines.filter((line) => line.includes("procedure failed"))).toEqual([]);
  });

  it("writes the messages a stream has at once to its socket in one write", async () => {
    socketWrites.length = 0;
    const received = await messages("burst");
    expect(received.filter((m) => m.event === "message").map((m) => m.data)).toEqual([
      { n: 1 },
      { n: 2 },
      { n: 3 },
      { n: 4 },
      { n: 5 },
    ]);
    // Every data message went out in the same write (the first value's, then the four after it).
    expect(socketWrites.filter((n) => n > 0)).toEqual([5]);
    // The end, written in the same tick as the last value, still comes after all of them.
    expect(received.map((m) => m.event)).toEqual(["connected", ...Array<string>(5).fill("message"), "return"]);
  });

  it("ends only the stream whose socket write throws, and keeps serving the others", async () => {
    const broken = fetch(`${base}/trpc/burstThenPause`, {
      headers: { accept: "text/event-stream", "x-test-break-writes": "1" },
    }).then((response) => response.text());
    const [brokenResult, other] = await Promise.allSettled([broken, messages("burstThenPause")]);
    // Its connection was closed mid-stream: the client's read fails, and no message reached it.
    expect(brokenResult.status).toBe("rejected");
    expect(other.status === "fulfilled" && other.value.filter((m) => m.event === "message")).toHaveLength(5);
    // And the server still serves a stream after it.
    expect((await messages("burst")).filter((m) => m.event === "message")).toHaveLength(5);
  });
});

describe("subscription responder pings", () => {
  const PING_MS = 200;
  const pinging = initTRPC.create({ sse: { ping: { enabled: true, intervalMs: PING_MS } } });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const pingRouter = pinging.router({
    /** One value, then nothing for a while. */
    quiet: pinging.procedure.subscription(async function* () {
      yield { n: 1 };
      await sleep(PING_MS * 3);
    }),
    /** A value every quarter of the ping interval. */
    busy: pinging.procedure.subscription(async function* () {
      for (let n = 1; n <= 12; n++) {
        yield { n };
        await sleep(PING_MS / 4);
      }
    }),
  });
  const serve = createSubscriptionResponder({
    router: pingRouter,
    basePath: "/trpc/",
    createContext: () => ({}),
    streamError: streamErrorMapping(createLogger("silent")),
  });
  const server = http.createServer((req, res) => {
    void serve(req, res, new URL(req.url ?? "/", "http://test"));
  });
  let base = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Each message's event (`message` for data) and when it arrived, in ms from the request. */
  async function timeline(path: string): Promise<{ event: string; at: number }[]> {
    const started = performance.now();
    const response = await fetch(`${base}/trpc/${path}`, { headers: { accept: "text/event-stream" } });
    const arrivals: { event: string; at: number }[] = [];
    let pending = "";
    for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      let end: number;
      while ((end = pending.indexOf("\n\n")) >= 0) {
        const block = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const event = /^event: (\w+)/m.exec(block)?.[1] ?? "message";
        arrivals.push({ event, at: performance.now() - started });
      }
    }
    return arrivals;
  }

  it("pings a stream that has sent nothing for the ping interval, and not more often", async () => {
    const arrivals = await timeline("quiet");
    const pings = arrivals.filter((a) => a.event === "ping");
    // 600 ms of silence after the value: a ping about one interval after it, then one per interval.
    expect(pings.length).toBeGreaterThanOrEqual(2);
    expect(pings.length).toBeLessThanOrEqual(3);
    const value = arrivals.find((a) => a.event === "message")!;
    // Timers run late on a loaded host: within two intervals, not one.
    expect(pings[0]!.at - value.at).toBeLessThan(2 * PING_MS);
  });

  it("does not ping a stream that sends more often than the ping interval", async () => {
    const arrivals = await timeline("busy");
    expect(arrivals.filter((a) => a.event === "message")).toHaveLength(12);
    expect(arrivals.filter((a) => a.event === "ping")).toEqual([]);
  });
});
