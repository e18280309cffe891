import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/app";

/** Security headers, methods and static files of the HTTP server (apps/server/src/http.ts). */

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request exactly as written: no URL normalization (`..` stays) and any method, TRACE included. */
function raw(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function expectSecurityHeaders(response: RawResponse, where: string) {
  const csp = String(response.headers["content-security-policy"]);
  expect(csp, where).toContain("default-src 'self'");
  expect(csp, where).toContain("script-src 'self'");
  expect(csp, where).toContain("frame-ancestors 'none'");
  expect(csp, where).toContain("object-src 'none'");
  expect(csp, where).not.toContain("unsafe-inline");
  expect(response.headers["x-content-type-options"], where).toBe("nosniff");
  expect(response.headers["referrer-policy"], where).toBe("no-referrer");
  expect(response.headers.vary, where).toMatch(/\bOrigin\b/);
}

describe("HTTP security", () => {
  let root: string;
  let app: TestApp;

  beforeAll(async () => {
    // A built SPA and, next to it, a directory whose name starts with the SPA's.
    root = mkdtempSync(join(tmpdir(), "rapport-web-"));
    mkdirSync(join(root, "dist/assets"), { recursive: true });
    mkdirSync(join(root, "dist-private"));
    writeFileSync(join(root, "dist/index.html"), "<!doctype html><title>Rapport</title>");
    writeFileSync(join(root, "dist/assets/app.js"), "console.log('app')");
    writeFileSync(join(root, "dist-private/secret.txt"), "TOP SECRET");
    app = await createTestApp({ env: { WEB_DIST_DIR: join(root, "dist"), CORS_ORIGINS: "https://app.example.com" } });
  });

  afterAll(async () => {
    await app?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("every response carries CSP, nosniff, Referrer-Policy and Vary: Origin — errors and static files included", async () => {
    const responses: Array<[string, RawResponse]> = [
      ["healthz", await raw(app.url, "GET", "/healthz")],
      ["readyz", await raw(app.url, "GET", "/readyz")],
      ["index.html", await raw(app.url, "GET", "/")],
      ["SPA route", await raw(app.url, "GET", "/contacts/123")],
      ["asset", await raw(app.url, "GET", "/assets/app.js")],
      ["tRPC 401", await raw(app.url, "GET", "/trpc/auth.me")],
      ["tRPC 404", await raw(app.url, "GET", "/trpc/nope.nope")],
      ["tRPC 400", await raw(app.url, "POST", "/trpc/auth.login", { "content-type": "application/json" }, "{")],
      ["export 401", await raw(app.url, "GET", "/api/analytics/export")],
      ["download 401", await raw(app.url, "GET", "/api/gdpr/export/download?token=x")],
      ["preflight", await raw(app.url, "OPTIONS", "/trpc/auth.me", { origin: "https://app.example.com" })],
      ["TRACE", await raw(app.url, "TRACE", "/")],
      ["bad path", await raw(app.url, "GET", "/%E0%A4%A")],
    ];
    expect(responses.map(([where, response]) => [where, response.status])).toEqual([
      ["healthz", 200],
      ["readyz", 200],
      ["index.html", 200],
      ["SPA route", 200],
      ["asset", 200],
      ["tRPC 401", 401],
      ["tRPC 404", 404],
      ["tRPC 400", 400],
      ["export 401", 401],
      ["download 401", 401],
      ["preflight", 204],
      ["TRACE", 405],
      ["bad path", 400],
    ]);
    for (const [where, response] of responses) expectSecurityHeaders(response, where);
    // Without an https PUBLIC_URL there is no HSTS (it would pin plain-http installs).
    expect(responses.every(([, response]) => response.headers["strict-transport-security"] === undefined)).toBe(true);
  });

  it("TRACE and other unknown methods answer 405 with Allow, never 500", async () => {
    for (const [method, path] of [
      ["TRACE", "/"],
      ["TRACE", "/trpc/auth.me"],
      ["TRACE", "/api/analytics/export"],
      ["PUT", "/trpc/auth.login"],
      ["DELETE", "/index.html"],
      ["PATCH", "/healthz"],
    ] as const) {
      const response = await raw(app.url, method, path);
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.allow, `${method} ${path}`).toBe("GET, HEAD, POST, OPTIONS");
    }
  });

  it("serves only files inside the web root, compared by path segments (a sibling dist-private is not served)", async () => {
    for (const path of [
      "/../dist-private/secret.txt",
      "/%2e%2e/dist-private/secret.txt",
      "/..%2fdist-private%2fsecret.txt",
      "/assets/../../dist-private/secret.txt",
    ]) {
      const response = await raw(app.url, "GET", path);
      expect(response.body, path).not.toContain("TOP SECRET");
      expect(response.body, path).toContain("<title>Rapport</title>"); // the SPA's index instead
    }
    expect((await raw(app.url, "GET", "/assets/app.js")).body).toBe("console.log('app')");
  });

  it("the refresh cookie is not Secure because a request names a public Host: that follows PUBLIC_URL", async () => {
    const user = await app.signUp();
    const login = await raw(
      app.url,
      "POST",
      "/trpc/auth.login",
      { host: "rapport.example.com", "content-type": "application/json" },
      JSON.stringify({ email: user.email, password: user.password, refreshTransport: "cookie" }),
    );
    expect(String(login.headers["set-cookie"])).toMatch(
      /^rapport_refresh=[\w-]{43}; Path=\/trpc; Max-Age=\d+; HttpOnly; SameSite=Strict$/,
    );
  });
});

describe("HTTP security with an https PUBLIC_URL", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ env: { PUBLIC_URL: "https://rapport.example.com" } });
  });
  afterAll(() => app?.close());

  it("sends HSTS and marks the refresh cookie Secure, whatever Host the request names", async () => {
    const user = await app.signUp();
    const login = await raw(
      app.url,
      "POST",
      "/trpc/auth.login",
      { "content-type": "application/json" }, // Host: 127.0.0.1:<port>
      JSON.stringify({ email: user.email, password: user.password, refreshTransport: "cookie" }),
    );
    expect(login.status).toBe(200);
    expect(String(login.headers["set-cookie"])).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    expect(login.headers["strict-transport-security"]).toBe("max-age=31536000");
    expectSecurityHeaders(login, "login");
    expect((await raw(app.url, "GET", "/healthz")).headers["strict-transport-security"]).toBe("max-age=31536000");
  });
});
