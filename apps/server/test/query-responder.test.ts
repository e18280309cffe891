import http from "node:http";
import type { AddressInfo } from "node:net";
import { initTRPC, TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createQueryResponder } from "../src/query";
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

  it.each([
    ["no input", "/trpc/hello"],
    ["empty input", "/trpc/hello?input="],
    ["input that fails its parser", `/trpc/hello${input({ name: 5 })}`],
    ["input that is not JSON", "/trpc/hello?input=%7Bnope"],
    ["a thrown TRPCError", "/trpc/whoami"],
    ["an error with Retry-After", "/trpc/busy"],
    ["an unexpected error", "/trpc/fails"],
    ["a cookie set by the procedure", "/trpc/cookie"],
    ["a stream-like result", "/trpc/streamLike"],
    ["a result JSON cannot write", "/trpc/unserializable"],
    ["an undefined result", "/trpc/nothing"],
    ["a mutation over GET", "/trpc/change"],
    ["an unknown procedure", "/trpc/nope"],
    ["an encoded path", "/trpc/hel%6Co"],
    ["a batch", `/trpc/hello,whoami?batch=1&input=${encodeURIComponent("{}")}`],
  ])("answers %s as tRPC does", async (_, path) => {
    await bothWays(base, path);
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
    const cases: [string, Record<string, string>, number][] = [
      [search("ana"), bearer(owner), 200],
      [search("ana"), {}, 401],
      [search("ana"), { authorization: "Bearer not-a-token" }, 401],
      [search("ana"), bearer(stranger), 404],
      [`/trpc/search.query${input({ workspaceId: "not-a-uuid", q: "ana" })}`, bearer(owner), 400],
      [`/trpc/search.query${input({ workspaceId, q: "ana", limit: -1 })}`, bearer(owner), 400],
      ["/trpc/search.query?input=%7B", bearer(owner), 400],
      ["/trpc/auth.me", bearer(owner), 200],
      ["/trpc/workspaces.list", bearer(owner), 200],
    ];
    for (const [path, headers, status] of cases) {
      const { answer } = await bothWays(app.url, path, headers);
      expect(answer.status, path).toBe(status);
    }
  });
});
