import { TRPCClientError } from "@trpc/client";

export interface ErrorInfo {
  message: string;
  code?: string;
  httpStatus?: number;
  requestId?: string;
  /** True when the request never reached the API (offline, proxy down, bad gateway). */
  network: boolean;
  /** Seconds to wait before trying again (TOO_MANY_REQUESTS). */
  retryAfterSeconds?: number;
  issues: { path: string[]; message: string }[];
  details: Record<string, unknown>;
}

interface ErrorData {
  code?: string;
  httpStatus?: number;
  requestId?: string;
  zodIssues?: { path: string[]; message: string }[];
  details?: Record<string, unknown>;
}

const NETWORK_ERROR_MESSAGE = "Could not reach the Rapport server. Check your connection and try again.";

/** What a person should read about a failed call (validation text arrives in `message`). */
export function describeError(error: unknown): ErrorInfo {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? undefined) as ErrorData | undefined;
    if (!data) {
      return { message: NETWORK_ERROR_MESSAGE, network: true, issues: [], details: {} };
    }
    const details = data.details ?? {};
    const retryAfter =
      typeof details.retryAfterSeconds === "number" ? Math.max(0, Math.ceil(details.retryAfterSeconds)) : undefined;
    let message = error.message;
    if (data.code === "INTERNAL_SERVER_ERROR") message = "Something went wrong on the server. Please try again.";
    else if (data.code === "TOO_MANY_REQUESTS") message = "Too many attempts.";
    else if (data.code === "FORBIDDEN" && !message) message = "You do not have permission to do that.";
    return {
      message,
      code: data.code,
      httpStatus: data.httpStatus,
      requestId: data.requestId,
      network: false,
      retryAfterSeconds: retryAfter,
      issues: data.zodIssues ?? [],
      details,
    };
  }
  if (error instanceof TypeError && /fetch|network/i.test(error.message)) {
    return { message: NETWORK_ERROR_MESSAGE, network: true, issues: [], details: {} };
  }
  return { message: error instanceof Error ? error.message : String(error), network: false, issues: [], details: {} };
}

export function errorCode(error: unknown): string | undefined {
  return error ? describeError(error).code : undefined;
}

/**
 * The validation message for one input field (`path[0]`), for inline display
 * next to the field. `field` may also be a dotted path ("patch.email").
 */
export function fieldError(error: unknown, field: string): string | undefined {
  if (!error) return undefined;
  const info = describeError(error);
  const issue = info.issues.find((candidate) => candidate.path.join(".") === field || candidate.path[0] === field);
  if (issue) return issue.message;
  // Domain errors that concern one field (a BAD_REQUEST, a re-entered password refused) carry it in details.path.
  const path = info.details.path;
  if (Array.isArray(path) && path.map(String).join(".") === field)
    // Shown under the field, the message need not name it again ("name: must not be empty").
    return info.message.startsWith(`${field}: `) ? info.message.slice(field.length + 2) : info.message;
  return undefined;
}

/** "42 s", "3 min 5 s", "1 h 2 min". */
export function formatWait(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ""}`;
}
