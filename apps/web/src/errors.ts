import { TRPCClientError } from "@trpc/client";

export interface ErrorInfo {
  message: string;
  code?: string;
  requestId?: string;
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

/** What a person should read about a failed call (validation text arrives in `message`). */
export function describeError(error: unknown): ErrorInfo {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? undefined) as ErrorData | undefined;
    if (!data) {
      // No tRPC envelope: the request never reached the API (offline, proxy down, bad gateway).
      return { message: "Could not reach the Rapport server. Check your connection and try again.", issues: [], details: {} };
    }
    const message =
      data.code === "INTERNAL_SERVER_ERROR" ? "Something went wrong on the server. Please try again." : error.message;
    return {
      message,
      code: data.code,
      requestId: data.requestId,
      issues: data.zodIssues ?? [],
      details: data.details ?? {},
    };
  }
  return { message: error instanceof Error ? error.message : String(error), issues: [], details: {} };
}
