import { readFileSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { initTRPC, TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { appRouter } from "@rapport/api";
import { createCallResponder, TRPC_VERSION_COMPARED } from "../src/query";
import { createTestApp, type SignedInUser, type TestApp } from "./support/app";

/**
 * The call responder answers plain GET queries and POST mutations itself instead of tRPC's
 * handler: each request here is sent twice, once as it is and once in a way tRPC reads the
 * same but the responder leaves to tRPC's handler — a query with a `content-type:
 * application/json` header, a mutation with `application/json; charset=utf-8` instead of
 * `application/json`. Both answers must be the same: status, body, content type, Vary,
 * Retry-After, Set-Cookie.
 */

interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string | undefined>;
  /** How the body was framed: the responder writes it in one piece, tRPC's handler as a stream. */
  framing: "length" | "chunked";
}

function send(base: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const method = body === undefined ? "GET" : "POST";
    const req = http.request(`${base}${path}`, { method, headers }, (res) => {
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
    req.end(body);
  });
}

/** The request answered by the responder and by tRPC's handler: both answers, which must match. */
async function bothWays(base: string, path: string, headers: Record<string, string> = {}) {
  const requestId = `req-${Math.random().toString(36).slice(2)}`;
  const fast = await send(base, path, { ...headers, "x-request-id": requestId });
  const trpc = await send(base, path, { ...headers, "x-request-id": requestId, "content-type": "application/json" });
  const { framing: fastFraming, ...fastAnswer } = fast;
  const { framing: trpcFraming, ...trpcAnswer } = trpc;
  expect(fastAnswer, path).toEqual(trpcAnswer);
  return { answer: fastAnswer, fastFraming, trpcFraming };
}

/**
 * A mutation answered by the responder (`application/json`) and by tRPC's handler (with a
 * charset): both answers, which must match once `normalize` (for values each call makes
 * anew, such as ids) is applied. `content-length` is sent unless `headers` says otherwise.
 */
async function bothWaysPost(
  base: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
  normalize: (answer: Omit<Answer, "framing">) => unknown = (answer) => answer,
) {
  const requestId = `req-${Math.random().toString(36).slice(2)}`;
  const sized: Record<string, string> = {
    "content-length": String(Buffer.byteLength(body)),
    ...headers,
    "x-request-id": requestId,
  };
  if (sized["transfer-encoding"]) delete sized["content-length"];
  const fast = await send(base, path, { "content-type": "application/json", ...sized }, body);
  const trpc = await send(base, path, { ...sized, "content-type": "application/json; charset=utf-8" }, body);
  const { framing: fastFraming, ...fastAnswer } = fast;
  const { framing: trpcFraming, ...trpcAnswer } = trpc;
  expect(normalize(fastAnswer), `POST ${path} ${body.slice(0, 100)}`).toEqual(normalize(trpcAnswer));
  expect(trpcFraming, "the charset leaves it to tRPC's handler").toBe("chunked");
  return { answer: fastAnswer, fastFraming };
}

const input = (value: unknown) => `?input=${encodeURIComponent(JSON.stringify(value))}`;

describe("call responder, on a router of its own", () => {
  const t = initTRPC.context<{ user: string | null; setCookie: () => void }>().create({
    // The stack (in the default shape outside production) differs by the path taken.
    // The input and type it was given are shown: the input only once the call read it.
    errorFormatter: ({ shape, error, input, type }) => ({
      ...shape,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        cause: String(error.cause),
        input,
        type,
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
    rename: t.procedure.input(z.object({ name: z.string() })).mutation(({ input }) => ({
      renamed: input.name,
      at: new Date(0),
    })),
    touch: t.procedure.input(z.object({ name: z.string() }).optional()).mutation(({ input }) => input ?? "nothing"),
    refuse: t.procedure.input(z.object({ name: z.string() })).mutation(() => {
      throw new TRPCError({ code: "CONFLICT", message: "Taken" });
    }),
    // Authentication before the input: a caller without it is refused before the body is parsed.
    guarded: t.procedure
      .use(({ ctx, next }) => {
        if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
        return next();
      })
      .input(z.object({ name: z.string() }))
      .mutation(({ input }) => input.name),
    throttled: t.procedure.mutation(() => {
      throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: "Slow down" });
    }),
    crashes: t.procedure.mutation(() => {
      throw new Error("boom");
    }),
    bake: t.procedure.mutation(({ ctx }) => {
      ctx.setCookie();
      return "baked";
    }),
    counted: t.procedure.input(z.string()).mutation(({ input }) => {
      calls.push(input);
      return input;
    }),
  });
  const calls: string[] = [];
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
    if (errors.some((error) => error.code === "UNAUTHORIZED")) headers.append("set-cookie", "session=; Max-Age=0");
    return { headers };
  };
  const maxBodySize = 1000;
  const options = { router, basePath: "/trpc/", maxBodySize, createContext, responseMeta };
  const handler = createHTTPHandler(options);
  const serve = createCallResponder(options);
  /** Whether the responder took each request (by its x-request-id), once it settled. */
  const taken = new Map<string, boolean>();
  const server = http.createServer((req, res) => {
    void serve(req, res, new URL(req.url ?? "/", "http://test")).then((served) => {
      taken.set(String(req.headers["x-request-id"]), served);
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
    ["input that is not JSON", "/trpc/hello?input=%7Bnope", "length"],
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
      createCallResponder({ router, basePath: "/trpc/", createContext, responseMeta, onError: () => {} } as never),
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

  const json = (value: unknown) => JSON.stringify(value);

  it("answers a mutation as tRPC does, in one piece", async () => {
    const { answer, fastFraming } = await bothWaysPost(base, "/trpc/rename", json({ name: "Ana" }));
    expect(answer).toMatchObject({
      status: 200,
      body: { result: { data: { renamed: "Ana", at: "1970-01-01T00:00:00.000Z" } } },
      headers: { "content-type": "application/json", vary: "trpc-accept, accept, Origin" },
    });
    expect(fastFraming).toBe("length");
  });

  // "length": the responder answered; "chunked": it left the request to tRPC's handler.
  it.each([
    ["input that fails its parser", "/trpc/rename", json({ name: 5 }), {}, 400, "length"],
    ["a body that is not JSON", "/trpc/rename", "{nope", {}, 400, "length"],
    ["an empty body, to a procedure that needs input", "/trpc/rename", "", {}, 400, "length"],
    ["an empty body, to a procedure whose input is optional", "/trpc/touch", "", {}, 200, "length"],
    ["a body of null", "/trpc/touch", "null", {}, 400, "length"],
    ["a body with a byte order mark", "/trpc/touch", `\uFEFF${json({ name: "Ana" })}`, {}, 200, "length"],
    ["an error after the input was read", "/trpc/refuse", json({ name: "Ana" }), {}, 409, "length"],
    ["UNAUTHORIZED before the input was read", "/trpc/guarded", json({ name: "Ana" }), {}, 401, "length"],
    ["UNAUTHORIZED before unparsable input", "/trpc/guarded", "{nope", {}, 401, "length"],
    ["a caller let through", "/trpc/guarded", json({ name: "Ana" }), { authorization: "Bearer x" }, 200, "length"],
    ["an error with Retry-After", "/trpc/throttled", "", {}, 429, "length"],
    ["an unexpected error", "/trpc/crashes", "", {}, 500, "length"],
    ["a cookie set by the procedure", "/trpc/bake", "", {}, 200, "length"],
    ["the context's failure", "/trpc/rename", json({ name: "Ana" }), { "x-context": "throws" }, 403, "length"],
    ["a body over maxBodySize", "/trpc/touch", json({ name: "a".repeat(2000) }), {}, 413, "chunked"],
    ["a body of maxBodySize", "/trpc/touch", json({ name: "a".repeat(maxBodySize - 11) }), {}, 200, "length"],
    ["a chunked body", "/trpc/rename", json({ name: "Ana" }), { "transfer-encoding": "chunked" }, 200, "chunked"],
    ["a query over POST", "/trpc/hello", json({ name: "Ana" }), {}, 405, "chunked"],
    ["an unknown procedure", "/trpc/nope", json({}), {}, 404, "chunked"],
    ["a batch", "/trpc/rename?batch=1", json({ 0: { name: "Ana" } }), {}, 200, "chunked"],
    [
      "a streaming accept header",
      "/trpc/rename",
      json({ name: "Ana" }),
      { "trpc-accept": "application/jsonl" },
      400,
      "chunked",
    ],
    [
      "connection parameters",
      `/trpc/rename?connectionParams=${encodeURIComponent(json({ a: "b" }))}`,
      json({ name: "Ana" }),
      {},
      200,
      "chunked",
    ],
  ] as const)("answers a mutation with %s as tRPC does", async (_, path, body, headers, status, framing) => {
    const { answer, fastFraming } = await bothWaysPost(base, path, body, headers);
    expect(answer.status, path).toBe(status);
    expect(fastFraming, path).toBe(framing);
  });

  it("shows the input in the error shape only once the call read it, as tRPC does", async () => {
    const read = await bothWaysPost(base, "/trpc/refuse", json({ name: "Ana" }));
    expect(read.answer.body).toMatchObject({ error: { data: { input: { name: "Ana" }, type: "mutation" } } });
    const unread = await bothWaysPost(base, "/trpc/guarded", json({ name: "Ana" }));
    expect(unread.answer.body).toMatchObject({ error: { data: { code: "UNAUTHORIZED", type: "mutation" } } });
    expect((unread.answer.body as { error: { data: object } }).error.data).not.toHaveProperty("input");
    expect(unread.answer.headers["set-cookie"]).toBe("session=; Max-Age=0");
    const unparsable = await bothWaysPost(base, "/trpc/rename", "{nope");
    expect(unparsable.answer.body).toMatchObject({
      error: {
        message: expect.stringContaining("JSON"),
        data: { code: "BAD_REQUEST", cause: expect.stringMatching(/^SyntaxError/) },
      },
    });
  });

  it("refuses a call before reading its body, as tRPC does: a refused client's body is never held", async () => {
    const socket = net.connect((server.address() as AddressInfo).port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (answer += chunk));
    // Announces 100 bytes and sends 9: an answer that waited for the body would never come.
    socket.write(
      "POST /trpc/guarded HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n" +
        `content-length: 100\r\nx-request-id: refused-unread\r\n\r\n{"name":`,
    );
    await expect.poll(() => answer, { timeout: 2_000 }).toMatch(/^HTTP\/1\.1 401 /);
    expect(taken.get("refused-unread")).toBe(true);
    socket.destroy();
  });

  it("makes no call for a client that leaves mid-body, and goes on answering", async () => {
    const requestId = "leaves-mid-body";
    const socket = net.connect((server.address() as AddressInfo).port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(
      "POST /trpc/counted HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n" +
        `content-length: 100\r\nx-request-id: ${requestId}\r\n\r\n"partial`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await expect.poll(() => taken.get(requestId)).toBe(true);
    expect(calls).toEqual([]);
    const { answer } = await bothWaysPost(base, "/trpc/counted", json("whole"));
    expect(answer.body).toEqual({ result: { data: "whole" } });
    expect(calls).toEqual(["whole", "whole"]);
  });
});

describe("call responder, in the server", () => {
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
      ["/trpc/search.query?input=%7B", bearer(owner), 400, "length"],
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

  /** What each call makes anew (ids, timestamps) is compared by its kind only. */
  const anew = (answer: unknown) =>
    JSON.parse(
      JSON.stringify(answer)
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>"),
    ) as unknown;

  it("answers the procedures' mutations, failures and refusals as tRPC does", async () => {
    const create = (value: unknown) => JSON.stringify(value);
    // "length": the responder answered; "chunked": it left the request to tRPC's handler.
    const cases: [string, string, Record<string, string>, number, "length" | "chunked"][] = [
      ["/trpc/contacts.create", create({ workspaceId, name: "Bea Costa" }), bearer(owner), 200, "length"],
      ["/trpc/contacts.create", create({ workspaceId, name: "Bea Costa" }), {}, 401, "length"],
      ["/trpc/contacts.create", create({ workspaceId, name: "Bea Costa" }), bearer(stranger), 404, "length"],
      ["/trpc/contacts.create", create({ workspaceId: "not-a-uuid", name: "" }), bearer(owner), 400, "length"],
      ["/trpc/contacts.create", "{", bearer(owner), 400, "length"],
      ["/trpc/contacts.create", "", bearer(owner), 400, "length"],
      ["/trpc/contacts.create", create({ workspaceId, name: "x".repeat(2_200_000) }), bearer(owner), 413, "chunked"],
      ["/trpc/contacts.create?batch=1", create({ 0: { workspaceId, name: "Cid" } }), bearer(owner), 200, "chunked"],
      // A refresh that fails clears the refresh cookie: Set-Cookie on a 401.
      ["/trpc/auth.refresh", create({ refreshToken: "x".repeat(40), refreshTransport: "cookie" }), {}, 401, "length"],
    ];
    for (const [path, body, headers, status, framing] of cases) {
      const { answer, fastFraming } = await bothWaysPost(app.url, path, body, headers, anew);
      expect(answer.status, path).toBe(status);
      expect(fastFraming, path).toBe(framing);
      if (path === "/trpc/auth.refresh") expect(answer.headers["set-cookie"], path).toMatch(/Max-Age=0/);
    }
    const created = await owner.client.contacts.list.query({ workspaceId, search: "Bea Costa" });
    expect(created.items.length).toBe(2);
  });

  // Every mutation of the API that needs a user, each answered by the responder and by tRPC's
  // handler: without a token, and (in a workspace) for a signed-in user who is not a member. A
  // responder that skipped a procedure's authentication or authorization would answer
  // differently. (A user's own mutations, such as signing out, are not made with a token.)
  const mutations = Object.entries(
    appRouter._def.procedures as unknown as Record<string, { _def: { type: string; meta?: { scope?: string } } }>,
  )
    .filter(([, procedure]) => procedure._def.type === "mutation" && procedure._def.meta?.scope !== "public")
    .map(([path, procedure]) => ({ path, scope: procedure._def.meta?.scope }));

  it("covers the API's mutations", () => {
    expect(mutations.length).toBeGreaterThan(20);
    expect(mutations.filter((mutation) => mutation.scope === "workspace").length).toBeGreaterThan(20);
  });

  it.each(mutations)(
    "answers mutation $path ($scope) as tRPC does, without a token and for a non-member",
    async ({ path, scope }) => {
      const body = scope === "workspace" ? JSON.stringify({ workspaceId }) : "";
      const anonymous = await bothWaysPost(app.url, `/trpc/${path}`, body, {}, anew);
      expect(anonymous.fastFraming, path).toBe("length");
      expect(anonymous.answer.status, path).toBe(401);
      if (scope !== "workspace") return;
      const nonMember = await bothWaysPost(app.url, `/trpc/${path}`, body, bearer(stranger), anew);
      expect(nonMember.fastFraming, path).toBe("length");
      expect([400, 404], path).toContain(nonMember.answer.status);
    },
  );
});

describe("call responder, against tRPC's version", () => {
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
