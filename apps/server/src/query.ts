import type http from "node:http";
import { type AnyTRPCRouter, TRPCError } from "@trpc/server";
import {
  getErrorShape,
  getHTTPStatusCode,
  getTRPCErrorFromUnknown,
  isAsyncIterable,
  isObject,
  isPromise,
  transformTRPCResponse,
} from "@trpc/server/unstable-core-do-not-import";
import type { TRPCResponse } from "@trpc/server/rpc";

/**
 * Answers a plain tRPC query (GET /trpc/<path>?input=…, one procedure, JSON) the way
 * tRPC's handler answers it — same context, middlewares, input parser, error shape, status
 * and body — without carrying the request through the Fetch API first.
 *
 * Why not tRPC's handler for these: it turns every request into a `Request` (its URL parsed
 * twice more, every header copied into `Headers`, an AbortController and a combined signal),
 * the answer into a `Response` whose body is a stream, and pipes that stream into a
 * WritableStream to reach `res.write`: promise hops and allocations that, profiled under the
 * search benchmark, were a larger share of a request's CPU than building its SQL.
 *
 * Anything unusual (a batch, connection parameters, a streaming accept header, a content
 * type, a path that is not a known query, input that does not parse) is left to tRPC's
 * handler: `serve` answers false without having touched the request or the response.
 *
 * It mirrors tRPC's resolveResponse and node-http adapter as of TRPC_VERSION_COMPARED; a
 * test fails when the installed @trpc/server differs, to have them compared again.
 *
 * `opts` are the handler's own options, the same object: an option it does not implement
 * throws here, at startup, rather than apply to tRPC's answers only.
 */
export function createQueryResponder<TRouter extends AnyTRPCRouter>(opts: {
  router: TRouter;
  basePath: string;
  /** A GET query has no body to limit. */
  maxBodySize?: number;
  createContext: (opts: {
    req: http.IncomingMessage;
    res: http.ServerResponse;
    info: { connectionParams: null };
  }) => unknown;
  /** The handler's `responseMeta`: its headers are appended to tRPC's own, as tRPC does. */
  responseMeta: (opts: { errors: TRPCError[] }) => { headers?: Headers; status?: number };
}) {
  const unknown = Object.keys(opts).filter((name) => !IMPLEMENTED_OPTIONS.has(name));
  if (unknown.length > 0) {
    throw new Error(`The query responder does not implement the handler option(s) ${unknown.join(", ")}`);
  }
  const config = opts.router._def._config;
  const procedures = opts.router._def.procedures as Record<string, AnyProcedure | undefined>;

  return async function serve(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
    if (req.method !== "GET" || !url.pathname.startsWith(opts.basePath)) return false;
    // tRPC's adapter builds the request's URL on its Host, and answers 400 when that fails.
    if (!URL.canParse(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`)) return false;
    const path = url.pathname.slice(opts.basePath.length);
    // Lazy routers, unknown paths and other procedure types get tRPC's own answer.
    const procedure = /^[\w.]+$/.test(path) ? procedures[path] : undefined;
    if (procedure?._def.type !== "query") return false;
    const { searchParams } = url;
    const { headers } = req;
    if (
      searchParams.has("batch") ||
      searchParams.has("connectionParams") ||
      headers["content-type"] !== undefined ||
      headers["trpc-accept"] !== undefined ||
      headers.accept?.includes("application/jsonl")
    )
      return false;
    let input: unknown;
    try {
      // As tRPC reads it: an absent or empty `input` is no input.
      const inputText = searchParams.get("input");
      if (inputText) input = config.transformer.input.deserialize(JSON.parse(inputText));
    } catch {
      return false;
    }

    const abort = new AbortController();
    const onClose = () => abort.abort();
    res.once("close", onClose);
    let ctx: unknown;
    let inputRead = false;
    let response: TRPCResponse;
    let error: TRPCError | null = null;
    try {
      ctx = await opts.createContext({ req, res, info: { connectionParams: null } });
    } catch (cause) {
      error = getTRPCErrorFromUnknown(cause);
    }
    if (error) {
      response = { error: shapeOf(error, undefined, undefined, path) };
    } else {
      try {
        const data: unknown = await procedure({
          path,
          getRawInput: async () => {
            inputRead = true;
            return input;
          },
          ctx,
          type: "query",
          signal: abort.signal,
          batchIndex: 0,
        });
        if (isDataStream(data)) {
          // tRPC answers this outside the call: no path, no input.
          error = new TRPCError({
            code: "UNSUPPORTED_MEDIA_TYPE",
            message: "Cannot use stream-like response in non-streaming request - use httpBatchStreamLink",
          });
          response = { error: shapeOf(error, ctx, undefined, undefined) };
        } else {
          response = { result: { data } };
        }
      } catch (cause) {
        error = getTRPCErrorFromUnknown(cause);
        response = { error: shapeOf(error, ctx, inputRead ? input : undefined, path) };
      }
    }
    res.off("close", onClose);

    let body: string;
    try {
      body = JSON.stringify(transformTRPCResponse(config, response));
    } catch (cause) {
      // As tRPC answers a result it cannot serialize: no path, no input.
      error = getTRPCErrorFromUnknown(cause);
      response = { error: shapeOf(error, ctx, undefined, undefined) };
      body = JSON.stringify(transformTRPCResponse(config, response));
    }
    // The headers tRPC's handler writes: its own, then responseMeta's appended to them.
    const written = new Map<string, string>([
      ["content-type", "application/json"],
      ["vary", "trpc-accept, accept"],
    ]);
    const meta = opts.responseMeta({ errors: error ? [error] : [] });
    for (const [name, value] of meta.headers ?? []) {
      if (name === "set-cookie") continue; // below, as tRPC writes them: replacing any set before
      const before = written.get(name);
      written.set(name, before === undefined ? value : `${before}, ${value}`);
    }
    if (res.statusCode === 200) res.statusCode = meta.status ?? getHTTPStatusCode([response]);
    for (const [name, value] of written) res.setHeader(name, value);
    const cookies = meta.headers?.getSetCookie() ?? [];
    if (cookies.length > 0) res.setHeader("set-cookie", cookies);
    res.end(body);
    return true;
  };

  function shapeOf(error: TRPCError, ctx: unknown, input: unknown, path: string | undefined) {
    return getErrorShape({ config, ctx, error, input, path, type: "query" });
  }
}

/** The @trpc/server version whose resolveResponse and node-http adapter this responder was compared with. */
export const TRPC_VERSION_COMPARED = "11.19.0";

const IMPLEMENTED_OPTIONS = new Set(["router", "basePath", "maxBodySize", "createContext", "responseMeta"]);

type AnyProcedure = ((opts: {
  path: string;
  getRawInput: () => Promise<unknown>;
  ctx: unknown;
  type: "query";
  signal: AbortSignal;
  batchIndex: number;
}) => Promise<unknown>) & { _def: { type: string } };

/** tRPC's test for a result it can only stream: an async iterable, or an object holding promises or async iterables. */
function isDataStream(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (isAsyncIterable(value)) return true;
  for (const field of Object.values(value)) if (isPromise(field) || isAsyncIterable(field)) return true;
  return false;
}
