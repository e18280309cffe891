import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { urlToHttpOptions } from "node:url";
import { createDestinationGuard, type DestinationPolicy, DestinationRefusedError } from "./destination-guard";

/**
 * One POST to a receiver through the destination guard: the URL and every address
 * its host resolves to are checked (at connect time), redirects are not followed (a
 * 3xx is just a status), only the first `maxResponseBytes` of the answer are read.
 */

interface OutboundPostInput {
  url: string;
  headers: Readonly<Record<string, string>>;
  body: string | Uint8Array;
  /** Whole request: connect, send and the response body (the 15 s). */
  timeoutMs: number;
  signal?: AbortSignal;
}

interface OutboundResponse {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** At most `maxResponseBytes` of the body, decoded as UTF-8. */
  body: string;
  durationMs: number;
}

export type OutboundFailure = "refused" | "timeout" | "connection" | "aborted";

/** No response: the destination was refused, the connection failed, or the time ran out. Status 0 in the attempt log. */
export class OutboundRequestError extends Error {
  override readonly name = "OutboundRequestError";
  constructor(
    readonly failure: OutboundFailure,
    message: string,
    readonly durationMs: number,
  ) {
    super(message);
  }
}

export interface OutboundClientOptions extends DestinationPolicy {
  /** Sockets kept open per receiver between deliveries (default 10). */
  maxSocketsPerHost?: number;
  /** Response bytes kept for the attempt log (default 4096). */
  maxResponseBytes?: number;
  userAgent?: string;
}

export interface OutboundClient {
  /** Throws `DestinationRefusedError` for a URL that is never allowed (use it to validate input). */
  checkUrl(url: string): URL;
  /** Resolves with any HTTP status (2xx or not); rejects with `OutboundRequestError` when there is none. */
  post(input: OutboundPostInput): Promise<OutboundResponse>;
  /** Closes the kept-open sockets (shutdown). */
  close(): void;
}

/** A checked receiver URL: the transport and the request options it comes to. */
interface Target {
  transport: typeof http | typeof https;
  options: http.RequestOptions;
}

/** Receiver URLs remembered by one client; past this many the memory starts again. */
const MAX_TARGETS = 10_000;

export function createOutboundClient(options: OutboundClientOptions = {}): OutboundClient {
  const guard = createDestinationGuard(options);
  const maxResponseBytes = options.maxResponseBytes ?? 4096;
  const agentOptions = { keepAlive: true, maxSockets: options.maxSocketsPerHost ?? 10, lookup: guard.lookup };
  const agents = { "http:": new http.Agent(agentOptions), "https:": new https.Agent(agentOptions) };
  const userAgent = options.userAgent ?? "Rapport-Webhooks/1.0";
  // What each receiver URL came to under the policy (which never changes for this client):
  // delivery POSTs to the same few URLs thousands of times, and parsing and checking the URL
  // each time was a twentieth of a busy worker's time. The connect-time check of the
  // addresses its host resolves to still runs for every new connection.
  const targets = new Map<string, Target | DestinationRefusedError>();
  const targetOf = (text: string): Target => {
    let target = targets.get(text);
    if (!target) {
      try {
        const url = guard.checkUrl(text);
        const secure = url.protocol === "https:";
        target = {
          transport: secure ? https : http,
          options: { ...urlToHttpOptions(url), method: "POST", agent: agents[secure ? "https:" : "http:"] },
        };
      } catch (error) {
        if (!(error instanceof DestinationRefusedError)) throw error;
        target = error;
      }
      if (targets.size >= MAX_TARGETS) targets.clear();
      targets.set(text, target);
    }
    if (target instanceof DestinationRefusedError) throw target;
    return target;
  };

  function post(input: OutboundPostInput): Promise<OutboundResponse> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let target: Target;
    try {
      target = targetOf(input.url);
    } catch (error) {
      return Promise.reject(new OutboundRequestError("refused", (error as Error).message, elapsed()));
    }
    const { body } = input;
    const length = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;

    return new Promise<OutboundResponse>((resolve, reject) => {
      let settled = false;
      const fail = (failure: OutboundFailure, message: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        input.signal?.removeEventListener("abort", onAbort);
        request.destroy();
        reject(new OutboundRequestError(failure, message, elapsed()));
      };
      const onAbort = () => fail("aborted", "The request was cancelled");
      const request = target.transport.request({
        ...target.options,
        lookup: guard.lookup,
        headers: {
          "user-agent": userAgent,
          "content-type": "application/json",
          ...input.headers,
          "content-length": String(length),
        },
      });
      const timer = setTimeout(() => fail("timeout", `No response within ${input.timeoutMs} ms`), input.timeoutMs);
      if (input.signal?.aborted) {
        onAbort();
        return;
      }
      input.signal?.addEventListener("abort", onAbort, { once: true });

      request.on("error", (error: NodeJS.ErrnoException) => {
        if (error instanceof DestinationRefusedError) {
          fail(error.reason === "unresolvable" ? "connection" : "refused", error.message);
        } else fail("connection", connectionMessage(error));
      });
      request.on("response", (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const finish = () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          input.signal?.removeEventListener("abort", onAbort);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            // Stored as text, where Postgres refuses U+0000: one such answer would fail the
            // whole record, and every message it held would be sent again.
            body: Buffer.concat(chunks).toString("utf8").replaceAll("\u0000", "\uFFFD"),
            durationMs: elapsed(),
          });
        };
        response.on("data", (chunk: Buffer) => {
          if (kept < maxResponseBytes) {
            const part = chunk.subarray(0, maxResponseBytes - kept);
            chunks.push(part);
            kept += part.length;
          }
          // Enough for the log: stop reading a large answer instead of downloading it.
          if (kept >= maxResponseBytes) {
            finish();
            response.destroy();
          }
        });
        response.on("end", finish);
        response.on("error", (error: NodeJS.ErrnoException) => fail("connection", connectionMessage(error)));
      });
      request.end(body);
    });
  }

  return {
    checkUrl: guard.checkUrl,
    post,
    close() {
      agents["http:"].destroy();
      agents["https:"].destroy();
    },
  };
}

/** The error code and a short reason, never the URL (it may carry a token in its query). */
function connectionMessage(error: NodeJS.ErrnoException): string {
  if (error.code === "ECONNREFUSED") return "Connection refused (ECONNREFUSED)";
  if (error.code === "ECONNRESET") return "Connection reset by the receiver (ECONNRESET)";
  if (error.code === "ENOTFOUND" || error.code === "EAI_AGAIN") return `Host not found (${error.code})`;
  if (error.code?.startsWith("ERR_TLS") || error.code?.includes("CERT")) return `TLS failed (${error.code})`;
  return error.code ? `Connection failed (${error.code})` : "Connection failed";
}
