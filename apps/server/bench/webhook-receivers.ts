/**
 * The webhooks benchmark's loopback receivers, in a process of their own (forked by
 * bench/webhooks.ts with an IPC channel), so that neither the delivery under test nor the
 * floor's plain loop shares an event loop with the receivers: both send to the same
 * receivers doing the same work, and neither pays for it on its own thread.
 *
 * Every request: the body is read and parsed (a receiver's least work), the answer is 200 at
 * once. A request whose webhook-id starts with FLOOR_ID_PREFIX is the floor's, counted apart.
 * For each other webhook-id seen for the first time by its receiver: its arrival time and
 * the time since its event's commit (arrival minus the body's `timestamp`), both from this
 * host's clock (the same clock as the bench's), sent to the parent in batches — the figures
 * are times taken here at arrival, so batching delays only when the parent learns of them.
 *
 * Messages from the parent: {type: "flush", nonce} (send what is pending, then the totals),
 * {type: "floor-reset"} (forget the floor's ids). To the parent: {type: "ready", urls},
 * {type: "arrivals", arrivals, latencies}, {type: "flushed", nonce, requests, distinct, floorDistinct}.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";

export const FLOOR_ID_PREFIX = "floor_";
const HOST = "127.0.0.1";
const REPORT_EVERY_MS = 50;

export interface ArrivalsMessage {
  type: "arrivals";
  /** Epoch ms at which each new delivery arrived. */
  arrivals: number[];
  /** Arrival minus the event's timestamp, ms, same order. */
  latencies: number[];
}
export interface FlushedMessage {
  type: "flushed";
  nonce: number;
  /** Every delivery request (not the floor's), repeats included. */
  requests: number;
  /** Distinct webhook-ids per receiver, summed. */
  distinct: number;
  /** Distinct floor ids since the last floor-reset. */
  floorDistinct: number;
}
export type ReceiversMessage = { type: "ready"; urls: string[] } | ArrivalsMessage | FlushedMessage;
export type ReceiversCommand = { type: "flush"; nonce: number } | { type: "floor-reset" };

function main() {
  const count = Number(process.argv[2] ?? 5);
  const send = (message: ReceiversMessage) => process.send!(message);
  let requests = 0;
  let distinct = 0;
  let floorDistinct = 0;
  const floorIds = new Set<string>();
  let arrivals: number[] = [];
  let latencies: number[] = [];
  const report = () => {
    if (arrivals.length === 0) return;
    send({ type: "arrivals", arrivals, latencies });
    arrivals = [];
    latencies = [];
  };
  setInterval(report, REPORT_EVERY_MS);

  const start = async () => {
    const server = http.createServer();
    server.keepAliveTimeout = 60_000;
    const ids = new Set<string>();
    server.on("request", (request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const arrival = Date.now();
        const id = request.headers["webhook-id"];
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { timestamp?: string };
        if (typeof id === "string" && id.startsWith(FLOOR_ID_PREFIX)) {
          if (!floorIds.has(id)) {
            floorIds.add(id);
            floorDistinct++;
          }
        } else {
          requests++;
          if (typeof id === "string" && !ids.has(id)) {
            ids.add(id);
            distinct++;
            arrivals.push(arrival);
            latencies.push(arrival - Date.parse(body.timestamp ?? ""));
          }
        }
        response.writeHead(200, { "content-type": "text/plain" }).end("ok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    return `http://${HOST}:${(server.address() as AddressInfo).port}/hook`;
  };

  process.on("message", (command: ReceiversCommand) => {
    if (command.type === "flush") {
      report();
      send({ type: "flushed", nonce: command.nonce, requests, distinct, floorDistinct });
    } else if (command.type === "floor-reset") {
      floorIds.clear();
      floorDistinct = 0;
    }
  });
  // The bench went away: so do the receivers.
  process.on("disconnect", () => process.exit(0));
  void Promise.all(Array.from({ length: count }, start)).then((urls) => send({ type: "ready", urls }));
}

// Run as the forked process only (the floor sender imports the names above).
if (process.send && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
