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
 * Answers a plain tRPC call the way tRPC's handler answers it — same context, middlewares,
 * input parser, error shape, status, headers and body — without carrying the request through
 * the Fetch API first. A plain call is one procedure, JSON, no batch:
 * - a query: GET /trpc/<path>?input=…, without a content type;
 * - a mutation: POST /trpc/<path> with `content-type: application/json` exactly and a
 *   `content-length` within `maxBodySize` (the body is read whole when the procedure first asks
 *   for its input, as tRPC reads it: a call refused before that never holds a body).
 *
 * Why not tRPC's handler for these: it turns every request into a `Request` (its URL parsed
 * twice more, every header copied into `Headers`, an AbortController and a combined signal,
 * a web stream for a body), the answer into a `Response` whose body is a stream, and pipes
 * that stream into a WritableStream to reach `res.write`: promise hops and allocations that,
 * profiled under the search benchmark, were a larger share of a request's CPU than building
 * its SQL, and under the realtime benchmark most of the cost of its `contacts.create` POSTs.
 *
 * Anything unusual (a batch, connection parameters, a streaming accept header, another
 * content type or method, a chunked or oversized body, a path that is not a known query or
 * mutation) is left to tRPC's handler: `serve` answers false without having touched the
 * request or the response. Input that does not parse is answered here, as tRPC answers it:
 * read lazily, when the procedure asks for it, BAD_REQUEST with the parser's message.
 *
 * It mirrors tRPC's resolveResponse (its jsonContentTypeHandler and `memo` for the input) and
 * node-http adapter as of TRPC_VERSION_COMPARED; a test fails when the installed
 * @trpc/server differs, to have them compared again.
 *
 * `opts` are the handler's own options, the same object: an option it does not implement
 * throws here, at startup, rather than apply to tRPC's answers only.
 */
export function createCallResponder<TRouter extends AnyTRPCRouter>(opts: {
  router: TRouter;
  basePath: string;
  /** A mutation's body over it (by its content-length) is left to tRPC's handler, which refuses it. */
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
    throw new Error(`The call responder does not implement the handler option(s) ${unknown.join(", ")}`);
  }
  const config = opts.router._def._config;
  const procedures = opts.router._def.procedures as Record<string, AnyProcedure | undefined>;
  // tRPC's adapter limits a body only when maxBodySize is set and not 0.
  const maxBodySize = opts.maxBodySize || Number.POSITIVE_INFINITY;

  /**
   * As tRPC's `memo` reads a call's input: an absent or empty text is no input; JSON that
   * does not parse, or a transformer that refuses it, is BAD_REQUEST with its message.
   */
  function parseInput(text: string | null): unknown {
    try {
      return text ? config.transformer.input.deserialize(JSON.parse(text)) : undefined;
    } catch (cause) {
      if (cause instanceof TRPCError) throw cause;
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: cause instanceof Error ? cause.message : "Invalid input",
        cause,
      });
    }
  }

  return async function serve(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
    const type = req.method === "GET" ? "query" : req.method === "POST" ? "mutation" : null;
    if (!type || !url.pathname.startsWith(opts.basePath)) return false;
    // tRPC's adapter builds the request's URL on its Host, and answers 400 when that fails.
    if (!URL.canParse(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`)) return false;
    const path = url.pathname.slice(opts.basePath.length);
    // Lazy routers, unknown paths and a procedure of another type get tRPC's own answer.
    const procedure = /^[\w.]+$/.test(path) ? procedures[path] : undefined;
    if (procedure?._def.type !== type) return false;
    const { searchParams } = url;
    const { headers } = req;
    if (
      searchParams.has("batch") ||
      searchParams.has("connectionParams") ||
      headers["trpc-accept"] !== undefined ||
      headers.accept?.includes("application/jsonl")
    )
      return false;
    // A query's input text, or a mutation's body, read when the procedure first asks for its
    // input (as tRPC reads it): a call refused before (authentication, rate limits) never holds
    // a body in memory.
    let inputText: () => Promise<string | null>;
    if (type === "query") {
      if (headers["content-type"] !== undefined) return false;
      const text = searchParams.get("input");
      inputText = () => Promise.resolve(text);
    } else {
      const length = headers["content-length"];
      if (
        headers["content-type"] !== "application/json" ||
        headers["transfer-encoding"] !== undefined ||
        length === undefined ||
        !(Number(length) <= maxBodySize) ||
        "body" in req
      )
        return false;
      inputText = async () => {
        const body = await readBody(req);
        // The client left mid-body: there is no one to answer, and no call to make.
        if (body === undefined) throw new TRPCError({ code: "BAD_REQUEST", message: "The request body ended early" });
        return body;
      };
    }

    // The input, read and parsed once when the procedure first asks for it; the error shape
    // shows it only once it was read and parsed.
    let read: { input: unknown } | { error: unknown } | undefined;
    let reading: Promise<void> | null = null;
    const getRawInput = async () => {
      reading ??= inputText().then(
        (text) => {
          try {
            read = { input: parseInput(text) };
          } catch (error) {
            read = { error };
          }
        },
        (error: unknown) => {
          read = { error };
        },
      );
      await reading;
      if (read && "error" in read) throw read.error;
      return read && "input" in read ? read.input : undefined;
    };
    const inputOnceRead = () => (read && "input" in read ? read.input : undefined);

    const abort = new AbortController();
    const onClose = () => abort.abort();
    res.once("close", onClose);
    let ctx: unknown;
    let response: TRPCResponse;
    let error: TRPCError | null = null;
    try {
      ctx = await opts.createContext({ req, res, info: { connectionParams: null } });
    } catch (cause) {
      error = getTRPCErrorFromUnknown(cause);
    }
    if (error) {
      response = { error: shapeOf(error, undefined, undefined, path, type) };
    } else {
      try {
        const data: unknown = await procedure({
          path,
          getRawInput,
          ctx,
          type,
          signal: abort.signal,
          batchIndex: 0,
        });
        if (isDataStream(data)) {
          // tRPC answers this outside the call: no path, no input.
          error = new TRPCError({
            code: "UNSUPPORTED_MEDIA_TYPE",
            message: "Cannot use stream-like response in non-streaming request - use httpBatchStreamLink",
          });
          response = { error: shapeOf(error, ctx, undefined, undefined, type) };
        } else {
          response = { result: { data } };
        }
      } catch (cause) {
        error = getTRPCErrorFromUnknown(cause);
        response = { error: shapeOf(error, ctx, inputOnceRead(), path, type) };
      }
    }
    res.off("close", onClose);

    let body: string;
    try {
      body = JSON.stringify(transformTRPCResponse(config, response));
    } catch (cause) {
      // As tRPC answers a result it cannot serialize: no path, no input.
      error = getTRPCErrorFromUnknown(cause);
      response = { error: shapeOf(error, ctx, undefined, undefined, type) };
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

  function shapeOf(
    error: TRPCError,
    ctx: unknown,
    input: unknown,
    path: string | undefined,
    type: "query" | "mutation",
  ) {
    return getErrorShape({ config, ctx, error, input, path, type });
  }
}

/** The @trpc/server version whose resolveResponse and node-http adapter this responder was compared with. */
export const TRPC_VERSION_COMPARED = "11.19.0";

const IMPLEMENTED_OPTIONS = new Set(["router", "basePath", "maxBodySize", "createContext", "responseMeta"]);

type AnyProcedure = ((opts: {
  path: string;
  getRawInput: () => Promise<unknown>;
  ctx: unknown;
  type: "query" | "mutation";
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

/** As `Request.text()` decodes a body: UTF-8, a leading byte order mark dropped, bad bytes replaced. */
const utf8 = new TextDecoder();

/** A request's whole body as text, or undefined when the client left (or failed) before its end. */
function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    const settle = (text: string | undefined) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onGone);
      req.off("close", onGone);
      resolve(text);
    };
    const onEnd = () => settle(utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    const onGone = () => settle(undefined);
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onGone);
    req.on("close", onGone);
  });
}
