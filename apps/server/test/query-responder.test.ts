import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { initTRPC, TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { appRouter } from "@rapport/api";
import { createQueryResponder, TRPC_VERSION_COMPARED } from "../src/query";
import { createTestApp, type SignedInUser, type TestApp } from "./support/app";

/**
 * The query responder answers plain GET queries itself instead of tRPC's handler: each
 * request here is sent twice, once as it is and once with a `content-type: application/json`
 * header, which tRPC reads the same way for a GET but which the responder leaves to tRPC's
 * handler. Both answers must be the same: status, body, content type, Vary, Retry-After.
 */

interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string | undefined>;
  /** How the body was framed: the responder writes it in one piece, tRPC's handler as a stream. */
  framing: "length" | "chunked";
}

function get(base: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: text === "" ? null : JSON.parse(text),
          headers: {
            "content-type": res.headers["content-type"],
            // Each name once: tRPC's handler appends responseMeta's Vary twice when a result cannot be written.
            vary: res.headers.vary && [...new Set(res.headers.vary.split(", "))].join(", "),
            "retry-after": res.headers["retry-after"],
            "set-cookie": res.headers["set-cookie"]?.join("\n"),
          },
          framing: res.headers["transfer-encoding"] === "chunked" ? "chunked" : "length",
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** The request answered by the responder and by tRPC's handler: both answers, which must match. */
async function bothWays(base: string, path: string, headers: Record<string, string> = {}) {
  const requestId = `req-${Math.random().toString(36).slice(2)}`;
  const fast = await get(base, path, { ...headers, "x-request-id": requestId });
  const trpc = await get(base, path, { ...headers, "x-request-id": requestId, "content-type": "application/json" });
  const { framing: fastFraming, ...fastAnswer } = fast;
  const { framing: trpcFraming, ...trpcAnswer } = trpc;
  expect(fastAnswer, path).toEqual(trpcAnswer);
  return { answer: fastAnswer, fastFraming, trpcFraming };
}

const input = (value: unknown) => `?input=${encodeURIComponent(JSON.stringify(value))}`;

describe("query responder, on a router of its own", () => {
  const t = initTRPC.context<{ user: string | null; setCookie: () => void }>().create({
    // The stack (in the default shape outside production) differs by the path taken.
    errorFormatter: ({ shape, error }) => ({
      ...shape,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        cause: String(error.cause),
      },
    }),
  });
  const router = t.router({
    hello: t.procedure.input(z.object({ name: z.string() }).optional()).query(({ input }) => ({
      hello: input?.name ?? "nobody",
      at: new Date(0),
    })),
    whoami: t.procedure.query(({ ctx }) => {
      if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
      return ctx.user;
    }),
    busy: t.procedure.query(() => {
      throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: "Slow down" });
    }),
    fails: t.procedure.query(() => {
      throw new Error("boom");
    }),
    cookie: t.procedure.query(({ ctx }) => {
      ctx.setCookie();
      return "ok";
    }),
    streamLike: t.procedure.query(() => ({ later: Promise.resolve(1) })),
    unserializable: t.procedure.query(() => ({ n: 1n })),
    nothing: t.procedure.query(() => undefined),
    change: t.procedure.mutation(() => "changed"),
  });
  const createContext = ({ req, res }: { req: http.IncomingMessage; res: http.ServerResponse }) => {
    if (req.headers["x-context"] === "throws") throw new TRPCError({ code: "FORBIDDEN", message: "No context" });
    return {
      user: req.headers.authorization ?? null,
      setCookie: () => res.appendHeader("set-cookie", "a=1"),
    };
  };
  const responseMeta = ({ errors }: { errors: TRPCError[] }) => {
    const headers = new Headers([["vary", "Origin"]]);
    if (errors.some((error) => error.code === "TOO_MANY_REQUESTS")) headers.set("retry-after", "7");
    return { headers };
  };
  const handler = createHTTPHandler({ router, basePath: "/trpc/", createContext, responseMeta });
  const serve = createQueryResponder({ router, basePath: "/trpc/", createContext, responseMeta });
  const server = http.createServer((req, res) => {
    void serve(req, res, new URL(req.url ?? "/", "http://test")).then((served) => {
      if (!served) handler(req, res);
    });
  });
  let base = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers a query as tRPC does, in one piece", async () => {
    const { answer, fastFraming, trpcFraming } = await bothWays(base, `/trpc/hello${input({ name: "Ana" })}`);
    expect(answer).toMatchObject({
      status: 200,
      body: { result: { data: { hello: "Ana", at: "1970-01-01T00:00:00.000Z" } } },
      headers: { "content-type": "application/json", vary: "trpc-accept, accept, Origin" },
    });
    expect([fastFraming, trpcFraming]).toEqual(["length", "chunked"]);
  });

  // "length": the responder answered; "chunked": it left the request to tRPC's handler.
  it.each([
    ["no input", "/trpc/hello", "length"],
    ["empty input", "/trpc/hello?input=", "length"],
    ["input that fails its parser", `/trpc/hello${input({ name: 5 })}`, "length"],
    ["input that is not JSON", "/trpc/hello?input=%7Bnope", "chunked"],
    ["a thrown TRPCError", "/trpc/whoami", "length"],
    ["an error with Retry-After", "/trpc/busy", "length"],
    ["an unexpected error", "/trpc/fails", "length"],
    ["a cookie set by the procedure", "/trpc/cookie", "length"],
    ["a stream-like result", "/trpc/streamLike", "length"],
    ["a result JSON cannot write", "/trpc/unserializable", "length"],
    ["an undefined result", "/trpc/nothing", "length"],
    ["a mutation over GET", "/trpc/change", "chunked"],
    ["an unknown procedure", "/trpc/nope", "chunked"],
    ["an encoded path", "/trpc/hel%6Co", "chunked"],
    ["a batch", `/trpc/hello,whoami?batch=1&input=${encodeURIComponent("{}")}`, "chunked"],
  ] as const)("answers %s as tRPC does", async (_, path, framing) => {
    const { fastFraming } = await bothWays(base, path);
    expect(fastFraming, path).toBe(framing);
  });

  it("leaves a Host tRPC cannot build a URL on to tRPC's handler (400)", async () => {
    // tRPC writes this refusal in one piece: its status tells who answered.
    const { answer } = await bothWays(base, "/trpc/hello", { host: "a b" });
    expect(answer.status).toBe(400);
  });

  it("refuses, at startup, a handler option it does not implement", () => {
    expect(() =>
      createQueryResponder({ router, basePath: "/trpc/", createContext, responseMeta, onError: () => {} } as never),
    ).toThrow(/does not implement the handler option\(s\) onError/);
  });

  it("answers with the context's failure as tRPC does", async () => {
    const { answer } = await bothWays(base, "/trpc/hello", { "x-context": "throws" });
    expect(answer.status).toBe(403);
  });

  it("passes the caller's headers to the context", async () => {
    const { answer } = await bothWays(base, "/trpc/whoami", { authorization: "Bearer x" });
    expect(answer.body).toEqual({ result: { data: "Bearer x" } });
  });

  it("leaves streaming and connection parameters to tRPC's handler", async () => {
    for (const [path, headers] of [
      ["/trpc/hello", { "trpc-accept": "application/jsonl" }],
      ["/trpc/hello", { accept: "application/jsonl" }],
      [`/trpc/whoami?connectionParams=${encodeURIComponent(JSON.stringify({ token: "t" }))}`, {}],
    ] as const) {
      const { fastFraming } = await bothWays(base, path, headers);
      expect(fastFraming, path).toBe("chunked");
    }
  });
});

describe("query responder, in the server", () => {
  let app: TestApp;
  let owner: SignedInUser;
  let stranger: SignedInUser;
  let workspaceId: string;

  beforeAll(async () => {
    app = await createTestApp();
    owner = await app.signUp("Owner");
    stranger = await app.signUp("Stranger");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Responder WS" })).id;
    await owner.client.contacts.create.mutate({ workspaceId, name: "Ana Lima" });
  });
  afterAll(() => app.close());

  const bearer = (user: SignedInUser) => ({ authorization: `Bearer ${user.accessToken}` });

  it("answers the procedures' queries, failures and refusals as tRPC does", async () => {
    const search = (q: unknown) => `/trpc/search.query${input({ workspaceId, q, limit: 10 })}`;
    // "length": the responder answered; "chunked": it left the request to tRPC's handler.
    const cases: [string, Record<string, string>, number, "length" | "chunked"][] = [
      [search("ana"), bearer(owner), 200, "length"],
      [search("ana"), {}, 401, "length"],
      [search("ana"), { authorization: "Bearer not-a-token" }, 401, "length"],
      [search("ana"), bearer(stranger), 404, "length"],
      [`/trpc/search.query${input({ workspaceId: "not-a-uuid", q: "ana" })}`, bearer(owner), 400, "length"],
      [`/trpc/search.query${input({ workspaceId, q: "ana", limit: -1 })}`, bearer(owner), 400, "length"],
      ["/trpc/search.query?input=%7B", bearer(owner), 400, "chunked"],
      // tRPC refuses it in one piece ("Invalid URL"); the responder would have answered 200.
      [search("ana"), { ...bearer(owner), host: "a b" }, 400, "length"],
      ["/trpc/auth.me", bearer(owner), 200, "length"],
      ["/trpc/workspaces.list", bearer(owner), 200, "length"],
    ];
    for (const [path, headers, status, framing] of cases) {
      const { answer, fastFraming } = await bothWays(app.url, path, headers);
      expect(answer.status, path).toBe(status);
      expect(fastFraming, path).toBe(framing);
    }
  });

  // Every query of the API, each answered by the responder and by tRPC's handler: without a
  // token, and for a signed-in user who is not a member of the workspace. A responder that
  // skipped a procedure's authentication or authorization would answer differently.
  const queries = Object.entries(
    appRouter._def.procedures as unknown as Record<string, { _def: { type: string; meta?: { scope?: string } } }>,
  )
    .filter(([, procedure]) => procedure._def.type === "query")
    .map(([path, procedure]) => ({ path, scope: procedure._def.meta?.scope }));

  it("covers the API's queries", () => {
    expect(queries.length).toBeGreaterThan(10);
    expect(queries.filter((query) => query.scope === "workspace").length).toBeGreaterThan(5);
  });

  it.each(queries)(
    "answers $path ($scope) as tRPC does, without a token and for a non-member",
    async ({ path, scope }) => {
      const url = scope === "workspace" ? `/trpc/${path}${input({ workspaceId })}` : `/trpc/${path}`;
      const anonymous = await bothWays(app.url, url);
      const nonMember = await bothWays(app.url, url, bearer(stranger));
      expect(anonymous.fastFraming, path).toBe("length");
      expect(nonMember.fastFraming, path).toBe("length");
      if (scope !== "public") expect(anonymous.answer.status, path).toBe(401);
      if (scope === "workspace") expect(nonMember.answer.status, path).toBe(404);
    },
  );
});

describe("query responder, against tRPC's version", () => {
  it("was compared with the installed @trpc/server", () => {
    const installed = (
      JSON.parse(readFileSync(new URL("../node_modules/@trpc/server/package.json", import.meta.url), "utf8")) as {
        version: string;
      }
    ).version;
    expect(
      installed,
      `@trpc/server is ${installed}, query.ts was written against ${TRPC_VERSION_COMPARED}: compare ` +
        "query.ts with tRPC's resolveResponse (and its node-http adapter) again, then update TRPC_VERSION_COMPARED",
    ).toBe(TRPC_VERSION_COMPARED);
  });
});
