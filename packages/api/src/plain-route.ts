/**
 * Helpers of the plain HTTP routes (file downloads tRPC cannot answer). They answer
 * errors through the same mapping as procedures (errors.ts) and authorize through
 * the same functions (trpc.ts: authenticate, authorizeWorkspace).
 */
import type http from "node:http";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { DomainError, retryAfterSeconds, toTRPCError } from "./errors";
import type { Logger } from "./logger";

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    "cache-control": "no-store",
  });
  res.end(payload);
}

/**
 * Answers anything a plain route threw the way a procedure would: the typed code and
 * status of errors.ts's mapping, internals logged once and never shown. Once the
 * response has started, the only honest signal left is a broken download.
 */
export function sendError(
  res: http.ServerResponse,
  log: Logger,
  error: unknown,
  context: Record<string, unknown> = {},
): void {
  const mapped = toTRPCError(error);
  if (mapped.code === "INTERNAL_SERVER_ERROR")
    log.error({ err: mapped.cause ?? error, ...context }, "plain route failed");
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const details = mapped.cause instanceof DomainError ? mapped.cause.details : undefined;
  const retryAfter = retryAfterSeconds(mapped);
  if (retryAfter) res.setHeader("retry-after", String(retryAfter));
  sendJson(res, getHTTPStatusCodeFromError(mapped), {
    error: mapped.message,
    code: mapped.code,
    ...(details ? { details } : {}),
  });
}

/** 405 with the methods the route answers. */
export function methodNotAllowed(res: http.ServerResponse, allow: string): void {
  res.setHeader("allow", allow);
  sendJson(res, 405, { error: "Method not allowed", code: "METHOD_NOT_SUPPORTED" });
}
