import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { DatabaseTimeoutError, isDatabaseUnavailable } from "@rapport/db";

export type DomainErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "TOO_MANY_REQUESTS"
  | "PAYLOAD_TOO_LARGE";

/**
 * Errors a service raises on purpose. `details` travels to the client in
 * `error.data.details` (e.g. the id of the contact a duplicate collides with).
 */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const notFound = (what: string) => new DomainError("NOT_FOUND", `${what} not found`);
export const forbidden = (message: string, details?: Record<string, unknown>) =>
  new DomainError("FORBIDDEN", message, details);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new DomainError("CONFLICT", message, details);
export const badRequest = (message: string, path?: (string | number)[]) =>
  new DomainError("BAD_REQUEST", message, path ? { path } : undefined);
export const unauthorized = (message = "Not signed in or session expired") => new DomainError("UNAUTHORIZED", message);
export const tooManyRequests = (retryAfterSeconds: number) =>
  new DomainError("TOO_MANY_REQUESTS", `Too many attempts; try again in ${retryAfterSeconds} s`, {
    retryAfterSeconds,
  });

interface PgLikeError {
  code?: string;
  constraint_name?: string;
  constraint?: string;
  message?: string;
}

/** A unique index refused the write (a race past a check, or a name already taken). */
export function isUniqueViolation(error: unknown): boolean {
  return pgError(error)?.code === "23505";
}

function pgError(error: unknown): PgLikeError | null {
  // drizzle wraps driver errors; the driver error is on `cause`.
  let current: unknown = error;
  for (let depth = 0; depth < 3 && current; depth++) {
    if (typeof current === "object" && current !== null && "code" in current) {
      const code = (current as PgLikeError).code;
      if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return current as PgLikeError;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/**
 * The database did not answer in time: our own PGlite connection wait, Postgres
 * `statement_timeout` (57014 query_canceled) or `idle_in_transaction_session_timeout`
 * (25P03). The request may be retried; it is not a server bug.
 */
function isDatabaseTimeout(error: unknown, pg: PgLikeError | null): boolean {
  if (pg?.code === "57014" || pg?.code === "25P03") return true;
  let current: unknown = error;
  for (let depth = 0; depth < 3 && current; depth++) {
    if (current instanceof DatabaseTimeoutError) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * How long a client told "unavailable" is asked to wait: the server tries the database again
 * at least every half second, so a second later it has either reconnected or still answers 503.
 */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

/**
 * The `Retry-After` (seconds) an error answers with, for tRPC responses and plain routes
 * alike: what a rate limit names, or a short wait while the database is unavailable.
 */
export function retryAfterSeconds(error: TRPCError): number | undefined {
  if (error.code === "SERVICE_UNAVAILABLE") return UNAVAILABLE_RETRY_AFTER_SECONDS;
  if (error.code !== "TOO_MANY_REQUESTS" || !(error.cause instanceof DomainError)) return undefined;
  const seconds = error.cause.details?.retryAfterSeconds;
  return typeof seconds === "number" && seconds > 0 ? Math.ceil(seconds) : undefined;
}

/** The one mapping from anything thrown below a router to what the client sees. */
export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  if (error instanceof DomainError) {
    return new TRPCError({ code: error.code satisfies TRPC_ERROR_CODE_KEY, message: error.message, cause: error });
  }
  const pg = pgError(error);
  if (pg?.code === "23505") {
    return new TRPCError({
      code: "CONFLICT",
      message: "A record with the same unique value already exists",
      cause: error as Error,
    });
  }
  // Class 22 is "data exception": the value sent cannot be stored or computed
  // with (NUL in text, a date out of range, bad number format, …). That is the
  // caller's input, not a fault of the server; validation should have caught it first.
  if (pg?.code?.startsWith("22")) {
    return new TRPCError({ code: "BAD_REQUEST", message: "Invalid value", cause: error as Error });
  }
  if (isDatabaseTimeout(error, pg)) {
    return new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: "The database is busy; try again shortly",
      cause: error as Error,
    });
  }
  // Unreachable, restarting, or the connection ended under the query: what could be run
  // again safely already was (packages/db), so the caller is told to retry.
  if (isDatabaseUnavailable(error)) {
    return new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: "The database is unavailable; try again shortly",
      cause: error as Error,
    });
  }
  return new TRPCError({
    code: "INTERNAL_SERVER_ERROR",
    message: "Internal error",
    cause: error instanceof Error ? error : new Error(String(error)),
  });
}
