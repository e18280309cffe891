import { randomUUID } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import http from "node:http";
import type { Socket } from "node:net";
import { extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import {
  ANALYTICS_EXPORT_PATH,
  GOOGLE_OAUTH_CALLBACK_PATH,
  handleGoogleOAuthCallback,
  appRouter,
  type Context,
  createContextFactory,
  GDPR_EXPORT_DOWNLOAD_PATH,
  handleAnalyticsExport,
  handleGdprExportDownload,
  CONTACTS_EXPORT_PATH,
  handleContactsExport,
  handleImportReport,
  handleImportUpload,
  IMPORT_REPORT_PATH,
  IMPORT_UPLOAD_PATH,
  type Logger,
  methodNotAllowed,
  procedureError,
  retryAfterSeconds,
  sendError,
  sendJson,
  servesHttps,
  type Runtime,
} from "@rapport/api";
import { clientAddress, type ProxyTrust } from "@rapport/core";
import type { TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { createCallResponder } from "./query";
import { createSubscriptionResponder } from "./sse";

/**
 * The SPA is one module script and one stylesheet from this origin; React and Chart.js
 * style elements through the CSSOM (not governed by CSP), and the favicon is a data: URL.
 * No other origin may frame, script or be called. The e2e tests fail on any violation.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** The methods any route answers; everything else (TRACE, PUT, …) is 405 before routing. */
const ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS";
const KNOWN_METHODS = new Set(ALLOWED_METHODS.split(", "));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

export interface RapportServer {
  server: http.Server;
  listen(port: number, host: string): Promise<{ port: number; url: string }>;
  /** Stops accepting, lets in-flight requests finish (up to the timeout), then closes. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * What a client is told when its event stream fails after it started: mapped and logged as
 * any procedure's failure is (the procedure's middlewares saw only the stream's start).
 */
export function streamErrorMapping(log: Logger) {
  return ({ cause, ctx, path }: { cause: unknown; ctx: unknown; path: string }) =>
    procedureError(cause, (ctx as Context | undefined)?.log ?? log, { path, type: "subscription" });
}

export function createRapportServer(runtime: Runtime): RapportServer {
  const { config, log } = runtime;
  // Node compiles its Fetch API (undici, behind the Headers, Request and Response globals) on
  // first use: ~80 ms with the event loop blocked, which, left to the first call, every live
  // stream of the instance waited out. Compiled here, before the server listens.
  void new Headers();
  const createContext = createContextFactory(runtime);
  /** One context for tRPC's handler and the subscription responder: the same checks either way. */
  // Event streams authenticate like every other request, by their Authorization header: a token
  // in the URL (tRPC's connection parameters) is not accepted, since access logs keep URLs.
  const contextOf = ({ req, res }: { req: http.IncomingMessage; res: http.ServerResponse }) =>
    createContext(requestInfo(req, res, config.TRUST_PROXY));
  const responseMeta = ({ errors }: { errors: TRPCError[] }) => {
    const retryAfter = errors.map(retryAfterSeconds).find((seconds) => seconds !== undefined);
    // tRPC writes its own Vary (trpc-accept, accept) over ours; appended headers survive.
    const headers = new Headers([["vary", "Origin"]]);
    if (retryAfter) headers.set("retry-after", String(retryAfter));
    return { headers };
  };
  // One set of options for both: the responder answers the plain queries and mutations
  // tRPC's handler would, and throws on an option added here that it does not implement.
  const trpcOptions = {
    router: appRouter,
    basePath: "/trpc/",
    maxBodySize: config.BODY_LIMIT_BYTES,
    createContext: contextOf,
    responseMeta,
  };
  const trpcHandler = createHTTPHandler(trpcOptions);
  const serveCall = createCallResponder(trpcOptions);
  const serveSubscription = createSubscriptionResponder({
    router: appRouter,
    basePath: "/trpc/",
    createContext: contextOf,
    streamError: streamErrorMapping(log),
  });
  const webRoot = resolve(config.WEB_DIST_DIR);
  const allowedOrigins = new Set(config.CORS_ORIGINS);
  const securityHeaders: Record<string, string> = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    // Download links carry their token in the query string: never pass URLs on.
    "referrer-policy": "no-referrer",
    // Responses differ by Origin (CORS), so shared caches must key on it.
    vary: "Origin",
    ...(servesHttps(config) ? { "strict-transport-security": "max-age=31536000" } : {}),
  };

  const handleRequest = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const requestId = headerValue(req.headers["x-request-id"])?.slice(0, 100) || randomUUID();
    (req as http.IncomingMessage & { id: string }).id = requestId;
    res.setHeader("x-request-id", requestId);
    const started = performance.now();
    res.on("finish", () => {
      log.info(
        {
          requestId,
          method: req.method,
          path: req.url?.split("?")[0],
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        "request",
      );
    });
    for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
    applyCors(req, res, allowedOrigins);
    if (!KNOWN_METHODS.has(req.method ?? "")) return methodNotAllowed(res, ALLOWED_METHODS);
    if (req.method === "OPTIONS") {
      res.writeHead(204).end();
      return;
    }
    const path = (req.url ?? "/").split("?")[0]!;
    // Every handler is awaited here, so whatever it throws or rejects with is answered,
    // never left to end the process.
    try {
      if (path === "/healthz") return sendJson(res, 200, { status: "ok" });
      if (path === "/readyz") {
        const readiness = await runtime.readiness();
        return sendJson(res, readiness.status === "down" ? 503 : 200, readiness);
      }
      if (path.startsWith("/trpc/")) {
        const url = new URL(req.url ?? "/", "http://rapport");
        if (await serveCall(req, res, url)) return;
        if (await serveSubscription(req, res, url)) return;
        return trpcHandler(req, res);
      }
      if (path === ANALYTICS_EXPORT_PATH) return await handleAnalyticsExport(runtime, req, res);
      if (path === GDPR_EXPORT_DOWNLOAD_PATH) return await handleGdprExportDownload(runtime, req, res);
      if (path === CONTACTS_EXPORT_PATH) return await handleContactsExport(runtime, req, res);
      if (path === IMPORT_UPLOAD_PATH) return await handleImportUpload(runtime, req, res);
      if (path === IMPORT_REPORT_PATH) return await handleImportReport(runtime, req, res);
      if (path === GOOGLE_OAUTH_CALLBACK_PATH) return await handleGoogleOAuthCallback(runtime, req, res);
      if (req.method === "GET" || req.method === "HEAD") return serveStatic(webRoot, path, res);
      sendJson(res, 404, { error: "Not found" });
    } catch (error) {
      sendError(res, log, error, { requestId, path });
    }
  };
  // The handler answers its own failures; this catch is for anything thrown before it could.
  const server = http.createServer((req, res) => {
    handleRequest(req, res).catch((error: unknown) => sendError(res, log, error, { path: req.url?.split("?")[0] }));
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;

  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // Event streams never finish on their own; their clients resume from their last event
  // id on any instance, so a shutdown ends them at once instead of waiting for them.
  const eventStreams = new Set<Socket>();
  server.on("request", (req: http.IncomingMessage) => {
    if (!headerValue(req.headers.accept)?.includes("text/event-stream")) return;
    const socket = req.socket;
    eventStreams.add(socket);
    socket.once("close", () => eventStreams.delete(socket));
  });

  return {
    server,
    listen(port, host) {
      return new Promise((resolvePromise, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          const address = server.address();
          const actualPort = typeof address === "object" && address ? address.port : port;
          const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;
          resolvePromise({ port: actualPort, url: `http://${shownHost}:${actualPort}` });
        });
      });
    },
    async close(timeoutMs = config.SHUTDOWN_TIMEOUT_MS) {
      const closed = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
      server.closeIdleConnections();
      for (const socket of eventStreams) socket.destroy();
      const timer = setTimeout(() => {
        log.warn({ open: sockets.size }, "shutdown timeout: closing remaining connections");
        for (const socket of sockets) socket.destroy();
      }, timeoutMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
    },
  };
}

function requestInfo(req: http.IncomingMessage, res: http.ServerResponse, trustProxy: ProxyTrust) {
  return {
    requestId: (req as http.IncomingMessage & { id?: string }).id ?? randomUUID(),
    ip: requestAddress(req, trustProxy),
    userAgent: headerValue(req.headers["user-agent"]) ?? null,
    authorization: headerValue(req.headers.authorization) ?? null,
    cookie: headerValue(req.headers.cookie) ?? null,
    setCookie: (header: string) => {
      res.appendHeader("set-cookie", header);
    },
    dropConnection: () => {
      res.destroy();
    },
  };
}

/** The client's address (see clientAddress: only what trusted proxies appended to X-Forwarded-For counts). */
function requestAddress(req: http.IncomingMessage, trustProxy: ProxyTrust): string | null {
  // Node joins repeated X-Forwarded-For headers with ", ", in order.
  const forwarded = req.headers["x-forwarded-for"];
  return clientAddress(
    req.socket.remoteAddress,
    Array.isArray(forwarded) ? forwarded.join(",") : forwarded,
    trustProxy,
  );
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function applyCors(req: http.IncomingMessage, res: http.ServerResponse, allowed: Set<string>) {
  const origin = headerValue(req.headers.origin);
  if (!origin || !allowed.has(origin)) return;
  res.setHeader("access-control-allow-origin", origin);
  res.setHeader("access-control-allow-credentials", "true");
  res.setHeader("access-control-allow-headers", "authorization, content-type, x-request-id, trpc-accept");
  res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
  res.setHeader("access-control-max-age", "600");
}

function serveStatic(root: string, urlPath: string, res: http.ServerResponse) {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return sendJson(res, 400, { error: "Bad path" });
  }
  const candidate = resolve(root, `.${decoded}`);
  const isFile = isInside(root, candidate) && existsSync(candidate) && statSync(candidate).isFile();
  // Unknown paths are client-side routes: the SPA's index.html handles them.
  const file = isFile ? candidate : join(root, "index.html");
  // Checked per request: the SPA may be (re)built while the server runs.
  if (!isFile && !existsSync(file))
    return sendJson(res, 404, { error: "Not found (the web app is not built: pnpm --filter @rapport/web build)" });
  const hashedAsset = isFile && decoded.startsWith("/assets/");
  res.writeHead(200, {
    "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
    "cache-control": hashedAsset ? "public, max-age=31536000, immutable" : "no-cache",
  });
  createReadStream(file)
    .on("error", () => res.destroy())
    .pipe(res);
}

/**
 * Whether `path` lies inside `root`, compared by path segments: a string prefix would
 * let `<root>-private/…` (a sibling directory) through.
 */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && rel.split(sep)[0] !== ".." && !isAbsolute(rel);
}
