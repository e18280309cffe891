/**
 * The webhooks benchmark's floor sender, in a process of its own (forked by bench/webhooks.ts
 * with an IPC channel), as the delivery runs in the worker's process: a plain loop sending
 * signed POSTs to the loopback receivers (another process) — no database, no queue.
 *
 * Each POST is what a delivery sends: the stored body of a real message (the same bytes every
 * time, as a retry), signed per request with the delivery's signer (nodeWebhookSigner, one
 * secret), the delivery's headers, over keep-alive connections at most
 * `perEndpoint` per receiver (the delivery's per-endpoint concurrency), `concurrency` in all.
 *
 * Messages from the parent: {type: "run", ...FloorRun} → {type: "done", seconds} or
 * {type: "failed", error}.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import { pathToFileURL } from "node:url";
import { nodeWebhookSigner } from "@rapport/api";
import { FLOOR_ID_PREFIX } from "./webhook-receivers";

export interface FloorRun {
  urls: string[];
  total: number;
  concurrency: number;
  perEndpoint: number;
  /** Names the round's ids (`floor_<label>_<n>`), so rounds never share one. */
  label: string;
  body: string;
  /** The delivery's headers other than the webhook-* ones (content-type, user-agent). */
  headers: Record<string, string>;
}
export type FloorCommand = { type: "run" } & FloorRun;
export type FloorMessage = { type: "done"; seconds: number } | { type: "failed"; error: string };

async function run({ urls, total, concurrency, perEndpoint, label, body, headers }: FloorRun): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: perEndpoint });
  const sign = nodeWebhookSigner([`whsec_${randomBytes(24).toString("base64")}`]);
  const contentLength = String(Buffer.byteLength(body));
  let next = 0;
  const post = (url: string, requestHeaders: Record<string, string>) =>
    new Promise<void>((resolve, reject) => {
      const request = http.request(url, { method: "POST", agent, headers: requestHeaders }, (response) => {
        response.resume();
        response.on("end", () =>
          response.statusCode === 200 ? resolve() : reject(new Error(`status ${response.statusCode}`)),
        );
      });
      request.on("error", reject);
      request.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const index = next++;
        const id = `${FLOOR_ID_PREFIX}${label}_${index}`;
        const timestamp = Math.floor(Date.now() / 1000);
        await post(urls[index % urls.length]!, {
          ...headers,
          "webhook-id": id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": sign({ id, timestamp, body }),
          "content-length": contentLength,
        });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return seconds;
}

if (process.send && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const send = (message: FloorMessage) => process.send!(message);
  process.on("message", (command: FloorCommand) => {
    if (command.type !== "run") return;
    run(command).then(
      (seconds) => send({ type: "done", seconds }),
      (error: unknown) => send({ type: "failed", error: error instanceof Error ? error.message : String(error) }),
    );
  });
  process.on("disconnect", () => process.exit(0));
}
