/**
 * The network boundary of the component tests: a `fetch` that answers the SPA's
 * tRPC requests the way the real server does on the wire (batching, the plain-JSON wire transformer,
 * error envelopes with `data.zodIssues` / `data.details`, HTTP status codes,
 * Retry-After). It runs the requests through @trpc/server's own fetch adapter
 * with a router built from the handlers a test registers, so the request and
 * response shapes are tRPC's, not a hand-written imitation.
 *
 * Nothing of the SPA itself is mocked: the components, the tRPC client, the
 * session code and React Query are the production modules.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { wireTransformer } from "@rapport/core/wire";

/**
 * A procedure's answer. An async generator function answers a subscription: the page
 * receives what it yields over SSE (wrap with `tracked(id, data)` for event ids), the
 * way httpSubscriptionLink reads the real server's streams.
 */
export type ProcedureHandler = (
  input: any,
  /** `signal`: the page's abort signal for this request (aborted when it cancels the request or stream). */
  request: { headers: Headers; call: number; signal: AbortSignal | null },
) => unknown;

interface RecordedCall {
  path: string;
  type: "query" | "mutation" | "subscription";
  input: any;
  authorization: string | null;
}

/** What the real errorFormatter (packages/api/src/trpc.ts) reads from an error's cause. */
class FakeCause extends Error {
  constructor(
    message: string,
    readonly zodIssues?: { path: string[]; message: string; code?: string }[],
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

type ErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "TOO_MANY_REQUESTS"
  | "INTERNAL_SERVER_ERROR";

/** A domain error as services raise it (`details` reaches the client in `error.data.details`). */
export function domainError(code: ErrorCode, message: string, details?: Record<string, unknown>): TRPCError {
  return new TRPCError({ code, message, cause: new FakeCause(message, undefined, details) });
}

/** An input validation failure as zod produces it on the server (BAD_REQUEST with `data.zodIssues`). */
export function zodError(issues: { path: (string | number)[]; message: string; code?: string }[]): TRPCError {
  const zodIssues = issues.map((issue) => ({
    path: issue.path.map(String),
    message: issue.message,
    code: issue.code ?? "custom",
  }));
  return new TRPCError({
    code: "BAD_REQUEST",
    message: "Invalid input",
    cause: new FakeCause("Invalid input", zodIssues),
  });
}

/** The login rate limit: TOO_MANY_REQUESTS, the server's message, `details.retryAfterSeconds` and a Retry-After header. */
export function rateLimited(retryAfterSeconds: number): TRPCError {
  return domainError("TOO_MANY_REQUESTS", `Too many attempts; try again in ${retryAfterSeconds} s`, {
    retryAfterSeconds,
  });
}

// Same shape as the server's errorFormatter (packages/api/src/trpc.ts).
const t = initTRPC.create({
  transformer: wireTransformer,
  errorFormatter({ shape, error }) {
    const cause = error.cause instanceof FakeCause ? error.cause : undefined;
    const zodIssues = cause?.zodIssues;
    return {
      ...shape,
      message: zodIssues
        ? zodIssues
            .slice(0, 5)
            .map((issue) => (issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
            .join("; ")
        : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        requestId: "req-test",
        zodIssues,
        details: cause?.details,
      },
    };
  },
});

export interface FakeServer {
  /** Install with `vi.stubGlobal("fetch", server.fetch)` (done by `installFakeServer`). */
  fetch: typeof fetch;
  calls: RecordedCall[];
  callsTo(path: string): RecordedCall[];
  /** Replaces or adds handlers (e.g. to make the next call fail). */
  on(handlers: Record<string, ProcedureHandler>): void;
  /** Paths requested that had no handler (answered NOT_FOUND); a test can assert this is empty. */
  unhandled: string[];
  /** What /readyz answers from now on (default: ok, nothing degraded). */
  setReadiness(body: { status: string; degraded: string[] }): void;
}

export function createFakeServer(initial: Record<string, ProcedureHandler> = {}): FakeServer {
  const handlers: Record<string, ProcedureHandler> = { ...DEFAULT_HANDLERS, ...initial };
  const calls: RecordedCall[] = [];
  const unhandled: string[] = [];
  const counts = new Map<string, number>();
  let readiness = { status: "ok", degraded: [] as string[] };

  function buildRouter(paths: string[], method: "query" | "mutation", headers: Headers, signal: AbortSignal | null) {
    const tree: Record<string, any> = {};
    for (const path of paths) {
      const parts = path.split(".");
      let node = tree;
      for (const part of parts.slice(0, -1)) node = node[part] ??= {};
      const procedure = t.procedure.input((raw: unknown) => raw);
      const streams = handlers[path]?.constructor.name === "AsyncGeneratorFunction";
      if (streams) {
        node[parts.at(-1)!] = procedure.subscription(({ input, signal: streamSignal }) => {
          const call = (counts.get(path) ?? 0) + 1;
          counts.set(path, call);
          calls.push({ path, type: "subscription", input, authorization: null });
          return handlers[path]!(input, { headers, call, signal: streamSignal ?? null }) as AsyncGenerator;
        });
        continue;
      }
      const type = method;
      const resolve = async ({ input }: { input: unknown }) => {
        const handler = handlers[path];
        const call = (counts.get(path) ?? 0) + 1;
        counts.set(path, call);
        calls.push({ path, type, input, authorization: headers.get("authorization") });
        if (!handler) {
          unhandled.push(path);
          throw new TRPCError({ code: "NOT_FOUND", message: `No procedure on path "${path}" (fake server)` });
        }
        return await handler(input, { headers, call, signal });
      };
      node[parts.at(-1)!] = type === "query" ? procedure.query(resolve) : procedure.mutation(resolve);
    }
    return t.router(tree);
  }

  const fakeFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const raw = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(raw, "http://localhost:3000");
    if (init?.signal?.aborted) throw new DOMException("The operation was aborted.", "AbortError");
    // Let React Query's state updates of the previous response settle first, like a real network would.
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (url.pathname === "/readyz") return Response.json(readiness);
    if (url.pathname === "/healthz") return Response.json({ status: "ok" });
    if (!url.pathname.startsWith("/trpc/")) return new Response("Not found", { status: 404 });

    const method = (init?.method ?? "GET").toUpperCase();
    const headers = new Headers(init?.headers);
    // jsdom's AbortSignal is not Node's: build the Request without it.
    const request = new Request(url, {
      method,
      headers,
      body: method === "GET" || method === "HEAD" ? undefined : (init?.body as BodyInit),
    });
    const paths = decodeURIComponent(url.pathname.slice("/trpc/".length)).split(",");
    const router = buildRouter(paths, method === "GET" ? "query" : "mutation", headers, init?.signal ?? null);
    return fetchRequestHandler({
      endpoint: "/trpc",
      req: request,
      router,
      createContext: () => ({}),
      responseMeta({ errors }) {
        const limited = errors.find((error) => error.code === "TOO_MANY_REQUESTS");
        const retryAfter = (limited?.cause as FakeCause | undefined)?.details?.retryAfterSeconds;
        return retryAfter ? { headers: { "retry-after": String(retryAfter) } } : {};
      },
    });
  };

  return {
    fetch: fakeFetch as typeof fetch,
    calls,
    unhandled,
    callsTo: (path) => calls.filter((call) => call.path === path),
    on(next) {
      Object.assign(handlers, next);
    },
    setReadiness(body) {
      readiness = body;
    },
  };
}

/** Answers a signed-out browser gets before it does anything. */
const DEFAULT_HANDLERS: Record<string, ProcedureHandler> = {
  "auth.refresh": () => {
    throw domainError("UNAUTHORIZED", "No session to refresh; sign in");
  },
};
