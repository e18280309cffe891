import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";

/** What one POST to a receiver came to. `status` 0: no HTTP answer (network error, timeout, refused address). */
export interface PostResult {
  status: number;
  /** The first 4 KB of the answer, as text. */
  body: string | null;
  retryAfter: string | null;
  error: string | null;
  durationMs: number;
}

interface PostRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/** Sends one webhook request. Injected so delivery can be pointed at the SSRF guard (or a test double of the network). */
export type WebhookTransport = (request: PostRequest) => Promise<PostResult>;

const RESPONSE_LIMIT = 4 * 1024;

/**
 * POSTs with node:http(s): no redirects are followed (a 3xx is an answer like any other
 * non-2xx), the whole exchange has one deadline, and only the first 4 KB of the answer
 * are kept. `lookup` resolves the host at connect time (the SSRF guard plugs in here).
 */
export function createHttpTransport(lookup?: LookupFunction): WebhookTransport {
  return (req) =>
    new Promise<PostResult>((resolve) => {
      const started = performance.now();
      const finish = (result: Omit<PostResult, "durationMs">) =>
        resolve({ ...result, durationMs: Math.round(performance.now() - started) });
      let url: URL;
      try {
        url = new URL(req.url);
      } catch {
        finish({ status: 0, body: null, retryAfter: null, error: "invalid URL" });
        return;
      }
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      const outgoing = send(url, {
        method: "POST",
        headers: { ...req.headers, "content-length": String(Buffer.byteLength(req.body)) },
        lookup,
        agent: false,
      });
      const deadline = setTimeout(() => {
        outgoing.destroy(new Error(`no answer within ${req.timeoutMs} ms`));
      }, req.timeoutMs);
      outgoing.on("response", (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        response.on("data", (chunk: Buffer) => {
          if (kept < RESPONSE_LIMIT) {
            chunks.push(chunk.subarray(0, RESPONSE_LIMIT - kept));
            kept += Math.min(chunk.length, RESPONSE_LIMIT - kept);
          }
        });
        response.on("end", () => {
          clearTimeout(deadline);
          const retryAfter = response.headers["retry-after"];
          finish({
            status: response.statusCode ?? 0,
            body: kept > 0 ? Buffer.concat(chunks).toString("utf8") : null,
            retryAfter: typeof retryAfter === "string" ? retryAfter : null,
            error: null,
          });
        });
        response.on("error", (error) => {
          clearTimeout(deadline);
          finish({ status: 0, body: null, retryAfter: null, error: error.message });
        });
      });
      outgoing.on("error", (error) => {
        clearTimeout(deadline);
        finish({ status: 0, body: null, retryAfter: null, error: error.message });
      });
      outgoing.end(req.body);
    });
}
