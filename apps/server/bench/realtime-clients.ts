/**
 * A share of bench/realtime.ts's subscribers, in a process of its own (forked by the bench,
 * talking to it over IPC). Every receipt is timestamped here, when its bytes arrive, and
 * sent to the bench in batches: 1,000 clients parsing 10,000 messages a second in the one
 * process that also paces the commits had that process's event loop lag by tens of ms at
 * p99, and that lag was counted as delivery latency. Both systems' clients run this way,
 * in the same number of processes, with the same work per message (one JSON.parse).
 *
 * From the bench: `{ open: "sse", authorization, subscribers: [{ s, url }] }` (raw SSE over
 * HTTP, as the SPA's EventSource: the token in the Authorization header) or
 * `{ open: "peer", subscribers: [{ s, url, room }] }` (Socket.IO), then `{ close: true }`. To the bench: `{ ready }`, `{ receipts: [s, id, workspace,
 * createdAt, at][] }`, `{ ended }`, `{ malformed }`, and on close `{ closed: loopDelayP99Ms }`.
 */
import http from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { io as connectPeer, type Socket } from "socket.io-client";

export type Receipt = [subscriber: number, id: string, workspace: string, createdAt: string, at: number];
export type ClientsCommand =
  | { open: "sse"; authorization: string; subscribers: { s: number; url: string }[] }
  | { open: "peer"; subscribers: { s: number; url: string; room: string }[] }
  | { close: true };
export type ClientsReport =
  | { ready: number }
  | { receipts: Receipt[] }
  | { ended: number }
  | { malformed: number }
  | { closed: number };

const FLUSH_MS = 10;
/** Reports to the bench; nothing once the channel is closed (a response's close comes a tick after the bench's close). */
const send = (report: ClientsReport) => {
  if (process.connected) process.send?.(report);
};
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
let receipts: Receipt[] = [];
const flush = setInterval(() => {
  if (receipts.length === 0) return;
  send({ receipts });
  receipts = [];
}, FLUSH_MS);
const requests: http.ClientRequest[] = [];
const sockets: Socket[] = [];

function openSse(s: number, url: string, authorization: string): void {
  const request = http.get(
    url,
    { agent: false, headers: { accept: "text/event-stream", authorization } },
    (response) => {
      response.setEncoding("utf8");
      let buffer = "";
      response.on("data", (chunk: string) => {
        const at = Date.now();
        buffer += chunk;
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
          // Only data messages (not pings or the stream's end: they start with their `event:`
          // line), one `data:` line each. As cheap as the peer's client: no regex, no split.
          if (message.startsWith("event:") || message.startsWith("\nevent:")) continue;
          const data = message.indexOf("data: ");
          if (data < 0) continue;
          const lineEnd = message.indexOf("\n", data);
          const json = message.slice(data + 6, lineEnd < 0 ? undefined : lineEnd);
          if (json.length === 0) continue;
          let parsed: {
            kind?: string;
            event?: { payload: { contactId: string }; workspaceId: string; createdAt: string };
          };
          try {
            parsed = JSON.parse(json) as typeof parsed;
          } catch {
            send({ malformed: 1 });
            continue;
          }
          if (parsed.kind === "ready") send({ ready: 1 });
          else if (parsed.kind === "event" && parsed.event)
            receipts.push([s, parsed.event.payload.contactId, parsed.event.workspaceId, parsed.event.createdAt, at]);
        }
      });
      response.on("close", () => send({ ended: 1 }));
    },
  );
  request.on("error", () => {});
  requests.push(request);
}

function openPeer(s: number, url: string, room: string): void {
  const socket = connectPeer(url, { forceNew: true, transports: ["websocket"], query: { room } });
  socket.on("ready", () => send({ ready: 1 }));
  socket.on("event", (event: { id: string; room: string; txStartedAt: string }) =>
    receipts.push([s, event.id, event.room, event.txStartedAt, Date.now()]),
  );
  sockets.push(socket);
}

process.on("message", (command: ClientsCommand) => {
  run(command).catch((error: unknown) => {
    process.stderr.write(`realtime clients: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
});

async function run(command: ClientsCommand): Promise<void> {
  if ("close" in command) {
    for (const request of requests) request.destroy();
    for (const socket of sockets) socket.disconnect();
    clearInterval(flush);
    if (receipts.length > 0) send({ receipts });
    loopDelay.disable();
    send({ closed: loopDelay.percentile(99) / 1e6 });
    process.disconnect();
    return;
  }
  loopDelay.enable();
  const open =
    command.open === "sse"
      ? command.subscribers.map(
          ({ s, url }) =>
            () =>
              openSse(s, url, command.authorization),
        )
      : command.subscribers.map(
          ({ s, url, room }) =>
            () =>
              openPeer(s, url, room),
        );
  for (const [i, openOne] of open.entries()) {
    openOne();
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 20)); // not all in one burst
  }
}
