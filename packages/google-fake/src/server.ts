/**
 * A local HTTP server that speaks the parts of Google's OAuth 2.0 and Gmail v1 APIs
 * Rapport uses, with the real wire shapes, so the real `googleapis` client and
 * `OAuth2Client` can talk to it (`rootUrl`, `endpoints`). Faults (rate limits, 5xx,
 * latency, revoked grants, expired history) are injected through methods here or the
 * `/__fake/*` control routes.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { type ApiError, googleErrors, type OAuthError, oauthErrors } from "./errors";
import { type FakeMessage, Mailbox, type MailboxOptions } from "./mailbox";

export const GMAIL_SCOPES = {
  readonly: "https://www.googleapis.com/auth/gmail.readonly",
  metadata: "https://www.googleapis.com/auth/gmail.metadata",
  modify: "https://www.googleapis.com/auth/gmail.modify",
  full: "https://mail.google.com/",
} as const;
const GMAIL_READ_SCOPES = new Set<string>(Object.values(GMAIL_SCOPES));

export interface GoogleFakeOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** Delay before answering every request (ms); changeable later through `latencyMs`. */
  latencyMs?: number;
  /** Lifetime of access tokens (Google's is 3599 s). */
  accessTokenTtlSec?: number;
  /** If set, the consent page refuses any other redirect_uri (redirect_uri_mismatch). */
  redirectUris?: string[];
  /** The account the consent page signs in as when the request has no known `login_hint`. */
  defaultAccount?: string;
  /** Serve the `/__fake/*` control routes (on by default). */
  controlRoutes?: boolean;
  now?: () => number;
}

/** Which requests a fault applies to: the Gmail API (default), the OAuth endpoints, or both. */
export type FaultTarget = "gmail" | "oauth" | "all";

export type FaultSpec =
  | {
      /** 429 RESOURCE_EXHAUSTED; 403 with a usage-limit reason; 500/503 backendError. */
      status: 429 | 403 | 500 | 503;
      /** For 403: which usage-limit reason (default userRateLimitExceeded). */
      reason?: "rateLimitExceeded" | "userRateLimitExceeded";
      /** For 429/403: the message names a time this many seconds ahead ("Retry after <ISO time>"). */
      retryAfterSec?: number;
      target?: FaultTarget;
      /** Only requests whose path contains this text (e.g. "/history", "/messages/"). */
      pathContains?: string;
    }
  | { reset: true; target?: FaultTarget; pathContains?: string };

interface PendingFault {
  remaining: number;
  spec: FaultSpec;
}

interface AuthCode {
  code: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  account: string;
  offline: boolean;
  challenge: string | null;
  challengeMethod: "S256" | "plain";
  expiresAt: number;
  used: boolean;
}

export interface Grant {
  account: string;
  scope: string;
  refreshToken: string | null;
  revoked: boolean;
  createdAt: number;
}

interface AccessToken {
  token: string;
  grant: Grant;
  expiresAt: number;
}

export interface RequestLogEntry {
  method: string;
  /** A route name like `gmail.users.messages.get`, `oauth.token`, or `unknown`. */
  route: string;
  path: string;
  status: number;
  at: number;
}

export interface GoogleFakeStats {
  requests: number;
  byRoute: Record<string, number>;
  /** The most requests that were being answered at the same moment. */
  maxInFlight: number;
}

const MAX_BODY_BYTES = 1_000_000;

function token(prefix: string): string {
  return `${prefix}${randomBytes(24).toString("base64url")}`;
}

function s256(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

/** Page tokens are opaque digits (like Gmail's), carrying the cursor the next page starts after. */
function encodePageToken(cursor: string): string {
  return BigInt(`0x${cursor}`).toString(10).padStart(20, "0");
}

function decodePageToken(pageToken: string): string | null {
  if (pageToken.length === 0 || pageToken.length > 40) return null;
  for (const ch of pageToken) if (ch < "0" || ch > "9") return null;
  return BigInt(pageToken).toString(16).padStart(16, "0");
}

function parseMaxResults(value: string | null, fallback: number): number | ApiError {
  if (value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) return googleErrors.invalidArgument(`Invalid value for maxResults: ${value}`);
  // Gmail caps page sizes at 500 rather than refusing bigger ones.
  return Math.min(n === 0 ? fallback : n, 500);
}

export class GoogleFake {
  readonly clientId: string;
  readonly clientSecret: string;
  latencyMs: number;
  accessTokenTtlSec: number;
  /** Consent answers `error=access_denied` this many more times (the user pressed Cancel). */
  denyConsent = 0;
  private readonly server: Server;
  private readonly mailboxes = new Map<string, Mailbox>();
  private readonly codes = new Map<string, AuthCode>();
  private readonly grantsByRefresh = new Map<string, Grant>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly allGrants: Grant[] = [];
  private readonly faults: PendingFault[] = [];
  private readonly options: GoogleFakeOptions;
  private readonly now: () => number;
  private inFlight = 0;
  private stats: GoogleFakeStats = { requests: 0, byRoute: {}, maxInFlight: 0 };
  /** Every request answered, oldest first (control routes excluded). */
  readonly requestLog: RequestLogEntry[] = [];
  private port = 0;

  constructor(options: GoogleFakeOptions = {}) {
    this.options = options;
    this.clientId = options.clientId ?? "fake-client-id.apps.googleusercontent.com";
    this.clientSecret = options.clientSecret ?? "fake-client-secret";
    this.latencyMs = options.latencyMs ?? 0;
    this.accessTokenTtlSec = options.accessTokenTtlSec ?? 3599;
    this.now = options.now ?? Date.now;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) this.json(res, 500, { error: String(error) });
        else res.destroy();
      });
    });
    // Keep-alive sockets would hold close() open until their idle timeout.
    this.server.keepAliveTimeout = 5_000;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** http://127.0.0.1:PORT (no trailing slash). */
  get url(): string {
    return `http://${this.options.host ?? "127.0.0.1"}:${this.port}`;
  }

  /** What to pass as the googleapis client's `rootUrl`. */
  get rootUrl(): string {
    return `${this.url}/`;
  }

  /** What to pass as `new OAuth2Client({ endpoints })`. */
  get oauthEndpoints(): {
    oauth2AuthBaseUrl: string;
    oauth2TokenUrl: string;
    oauth2RevokeUrl: string;
    tokenInfoUrl: string;
  } {
    return {
      oauth2AuthBaseUrl: `${this.url}/o/oauth2/v2/auth`,
      oauth2TokenUrl: `${this.url}/token`,
      oauth2RevokeUrl: `${this.url}/revoke`,
      tokenInfoUrl: `${this.url}/tokeninfo`,
    };
  }

  addMailbox(options: MailboxOptions): Mailbox {
    const mailbox = new Mailbox({ now: this.now, ...options });
    this.mailboxes.set(mailbox.email, mailbox);
    return mailbox;
  }

  mailbox(email: string): Mailbox {
    const mailbox = this.mailboxes.get(email.toLowerCase());
    if (!mailbox) throw new Error(`google-fake: no mailbox ${email}`);
    return mailbox;
  }

  /** The next `count` matching requests fail as `spec` says. Faults queue up in order. */
  failNext(count: number, spec: FaultSpec): void {
    this.faults.push({ remaining: count, spec });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Revokes every grant of the account (as the user does in their Google account settings). */
  revokeAccess(email: string): void {
    for (const grant of this.allGrants) if (grant.account === email.toLowerCase()) grant.revoked = true;
  }

  /** Makes every issued access token (of one account, or all) expire now: the next API call is a 401. */
  expireAccessTokens(email?: string): void {
    for (const access of this.accessTokens.values()) {
      if (!email || access.grant.account === email.toLowerCase()) access.expiresAt = 0;
    }
  }

  /** The grants issued for an account, e.g. to check a disconnect revoked it. */
  grants(email: string): readonly Grant[] {
    return this.allGrants.filter((grant) => grant.account === email.toLowerCase());
  }

  getStats(): GoogleFakeStats {
    return { requests: this.stats.requests, byRoute: { ...this.stats.byRoute }, maxInFlight: this.stats.maxInFlight };
  }

  resetStats(): void {
    this.stats = { requests: 0, byRoute: {}, maxInFlight: this.inFlight };
    this.requestLog.length = 0;
  }

  // --- HTTP ---------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<undefined> {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    const path = url.pathname;
    if (path.startsWith("/__fake/")) {
      if (this.options.controlRoutes === false) return this.json(res, 404, googleErrors.notFound().body);
      return this.control(req, res, path, url);
    }
    const route = routeName(req.method ?? "GET", path);
    this.stats.requests += 1;
    this.stats.byRoute[route] = (this.stats.byRoute[route] ?? 0) + 1;
    this.inFlight += 1;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
    res.on("close", () => {
      this.inFlight -= 1;
      this.requestLog.push({ method: req.method ?? "GET", route, path, status: res.statusCode, at: this.now() });
    });
    const body = await readBody(req);
    if (this.latencyMs > 0) await sleep(this.latencyMs);

    const fault = this.takeFault(route.startsWith("oauth.") ? "oauth" : "gmail", path);
    if (fault) {
      if ("reset" in fault) {
        req.socket.destroy();
        return;
      }
      return this.apiError(res, faultError(fault, this.now()));
    }

    if (route === "oauth.authorize") return this.authorize(res, url);
    if (route === "oauth.token") return this.tokenEndpoint(req, res, body);
    if (route === "oauth.revoke") return this.revoke(res, url, body);
    if (route === "oauth.tokeninfo") return this.tokenInfo(res, url);
    if (route.startsWith("gmail.")) return this.gmail(req, res, route, path, url);
    return this.apiError(res, googleErrors.notFound());
  }

  private takeFault(target: "gmail" | "oauth", path: string): FaultSpec | null {
    const index = this.faults.findIndex((fault) => {
      const wanted = fault.spec.target ?? "gmail";
      return (
        (wanted === "all" || wanted === target) && (!fault.spec.pathContains || path.includes(fault.spec.pathContains))
      );
    });
    if (index < 0) return null;
    const fault = this.faults[index]!;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault.spec;
  }

  // --- OAuth ----------------------------------------------------------------------------

  private authorize(res: ServerResponse, url: URL): undefined {
    const q = url.searchParams;
    const clientId = q.get("client_id");
    const redirectUri = q.get("redirect_uri");
    if (clientId !== this.clientId) {
      return this.html(res, 401, "Error 401: invalid_client", "The OAuth client was not found.");
    }
    if (!redirectUri || (this.options.redirectUris && !this.options.redirectUris.includes(redirectUri))) {
      return this.html(
        res,
        400,
        "Error 400: redirect_uri_mismatch",
        "The redirect URI is not registered for this client.",
      );
    }
    if (q.get("response_type") !== "code") {
      return this.html(res, 400, "Error 400: invalid_request", "Only response_type=code is supported.");
    }
    const scope = (q.get("scope") ?? "").split(" ").filter(Boolean).join(" ");
    if (!scope) return this.html(res, 400, "Error 400: invalid_request", "Missing required parameter: scope");
    const challenge = q.get("code_challenge");
    const method = q.get("code_challenge_method") ?? "plain";
    if (challenge && method !== "S256" && method !== "plain") {
      return this.html(res, 400, "Error 400: invalid_request", "Invalid code_challenge_method.");
    }
    const state = q.get("state");
    const back = new URL(redirectUri);
    if (state !== null) back.searchParams.set("state", state);
    if (this.denyConsent > 0) {
      this.denyConsent -= 1;
      back.searchParams.set("error", "access_denied");
      return this.redirect(res, back.toString());
    }
    const hint = q.get("login_hint")?.toLowerCase();
    const account =
      (hint && this.mailboxes.has(hint) ? hint : undefined) ??
      this.options.defaultAccount?.toLowerCase() ??
      this.mailboxes.keys().next().value;
    if (!account || !this.mailboxes.has(account)) {
      return this.html(res, 400, "No Google account", "The fake has no mailbox to sign in with: add one first.");
    }
    const code = `4/0${token("")}`;
    this.codes.set(code, {
      code,
      clientId,
      redirectUri,
      scope,
      account,
      offline: q.get("access_type") === "offline",
      challenge,
      challengeMethod: method === "S256" ? "S256" : "plain",
      expiresAt: this.now() + 10 * 60_000,
      used: false,
    });
    back.searchParams.set("code", code);
    back.searchParams.set("scope", scope);
    back.searchParams.set("authuser", "0");
    back.searchParams.set("prompt", "consent");
    this.redirect(res, back.toString());
  }

  private tokenEndpoint(req: IncomingMessage, res: ServerResponse, raw: string): undefined {
    if (req.method !== "POST") return this.oauthError(res, oauthErrors.invalidRequest("Method not allowed"));
    const params = parseForm(req, raw);
    let clientId = params.get("client_id");
    let clientSecret = params.get("client_secret");
    const basic = req.headers.authorization;
    if (basic?.startsWith("Basic ")) {
      const decoded = Buffer.from(basic.slice(6), "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      clientId = decodeURIComponent(decoded.slice(0, colon));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1));
    }
    if (clientId !== this.clientId || clientSecret !== this.clientSecret) {
      return this.oauthError(res, oauthErrors.invalidClient());
    }
    const grantType = params.get("grant_type") ?? "";
    if (grantType === "authorization_code") {
      const code = this.codes.get(params.get("code") ?? "");
      if (!code || code.clientId !== clientId)
        return this.oauthError(res, oauthErrors.invalidGrant("Malformed auth code."));
      if (code.used || code.expiresAt < this.now())
        return this.oauthError(res, oauthErrors.invalidGrant("Bad Request"));
      if (params.get("redirect_uri") !== code.redirectUri)
        return this.oauthError(res, oauthErrors.redirectUriMismatch());
      if (code.challenge) {
        const verifier = params.get("code_verifier");
        if (!verifier) return this.oauthError(res, oauthErrors.invalidGrant("Missing code verifier."));
        const computed = code.challengeMethod === "S256" ? s256(verifier) : verifier;
        if (computed !== code.challenge)
          return this.oauthError(res, oauthErrors.invalidGrant("Invalid code verifier."));
      }
      code.used = true;
      const grant: Grant = {
        account: code.account,
        scope: code.scope,
        refreshToken: code.offline ? `1//0${token("")}` : null,
        revoked: false,
        createdAt: this.now(),
      };
      this.allGrants.push(grant);
      if (grant.refreshToken) this.grantsByRefresh.set(grant.refreshToken, grant);
      const access = this.issueAccessToken(grant);
      return this.json(res, 200, {
        access_token: access.token,
        expires_in: this.accessTokenTtlSec,
        ...(grant.refreshToken ? { refresh_token: grant.refreshToken, refresh_token_expires_in: 604_799 } : {}),
        scope: grant.scope,
        token_type: "Bearer",
      });
    }
    if (grantType === "refresh_token") {
      const grant = this.grantsByRefresh.get(params.get("refresh_token") ?? "");
      if (!grant || grant.revoked) return this.oauthError(res, oauthErrors.revoked());
      const access = this.issueAccessToken(grant);
      return this.json(res, 200, {
        access_token: access.token,
        expires_in: this.accessTokenTtlSec,
        scope: grant.scope,
        token_type: "Bearer",
      });
    }
    return this.oauthError(res, oauthErrors.unsupportedGrantType(grantType));
  }

  private issueAccessToken(grant: Grant): AccessToken {
    const access = { token: `ya29.${token("")}`, grant, expiresAt: this.now() + this.accessTokenTtlSec * 1000 };
    this.accessTokens.set(access.token, access);
    return access;
  }

  /** Revoking either token of a grant revokes the whole grant, as at Google. */
  private revoke(res: ServerResponse, url: URL, raw: string): undefined {
    const value = url.searchParams.get("token") ?? new URLSearchParams(raw).get("token") ?? "";
    const grant = this.grantsByRefresh.get(value) ?? this.accessTokens.get(value)?.grant;
    if (!grant || grant.revoked) return this.oauthError(res, oauthErrors.invalidToken());
    grant.revoked = true;
    this.json(res, 200, {});
  }

  private tokenInfo(res: ServerResponse, url: URL): undefined {
    const access = this.accessTokens.get(url.searchParams.get("access_token") ?? "");
    if (!access || access.grant.revoked || access.expiresAt <= this.now()) {
      return this.oauthError(res, {
        httpStatus: 400,
        body: { error: "invalid_token", error_description: "Invalid Value" },
      });
    }
    this.json(res, 200, {
      azp: this.clientId,
      aud: this.clientId,
      scope: access.grant.scope,
      exp: String(Math.floor(access.expiresAt / 1000)),
      expires_in: String(Math.max(0, Math.floor((access.expiresAt - this.now()) / 1000))),
      email: access.grant.account,
      email_verified: "true",
      access_type: access.grant.refreshToken ? "offline" : "online",
    });
  }

  // --- Gmail v1 -------------------------------------------------------------------------

  private gmail(req: IncomingMessage, res: ServerResponse, route: string, path: string, url: URL): undefined {
    const header = req.headers.authorization;
    if (!header?.startsWith("Bearer ")) return this.apiError(res, googleErrors.missingCredentials());
    const access = this.accessTokens.get(header.slice(7).trim());
    if (!access || access.grant.revoked || access.expiresAt <= this.now()) {
      return this.apiError(res, googleErrors.invalidCredentials());
    }
    const scopes = access.grant.scope.split(" ");
    if (!scopes.some((scope) => GMAIL_READ_SCOPES.has(scope)))
      return this.apiError(res, googleErrors.insufficientScopes());
    const metadataOnly = !scopes.some((scope) => scope !== GMAIL_SCOPES.metadata && GMAIL_READ_SCOPES.has(scope));
    const parts = path.split("/"); // "", "gmail", "v1", "users", userId, ...
    const userId = decodeURIComponent(parts[4] ?? "");
    if (userId !== "me" && userId.toLowerCase() !== access.grant.account) {
      return this.apiError(res, googleErrors.delegationDenied(userId));
    }
    const mailbox = this.mailboxes.get(access.grant.account);
    if (!mailbox) return this.apiError(res, googleErrors.notFound());
    const q = url.searchParams;
    switch (route) {
      case "gmail.users.getProfile":
        return this.json(res, 200, {
          emailAddress: mailbox.email,
          messagesTotal: mailbox.newestFirst().length,
          threadsTotal: mailbox.newestFirst().length,
          historyId: String(mailbox.historyId),
        });
      case "gmail.users.messages.list":
        return this.listMessages(res, mailbox, q, metadataOnly);
      case "gmail.users.messages.get":
        return this.getMessage(res, mailbox, decodeURIComponent(parts[6] ?? ""), q, metadataOnly);
      case "gmail.users.history.list":
        return this.listHistory(res, mailbox, q);
      case "gmail.users.settings.sendAs.list":
        return this.json(res, 200, {
          sendAs: [
            {
              sendAsEmail: mailbox.email,
              displayName: mailbox.name,
              replyToAddress: "",
              signature: "",
              isPrimary: true,
              isDefault: true,
            },
            ...mailbox.aliases.map((alias) => ({
              sendAsEmail: alias,
              displayName: mailbox.name,
              replyToAddress: "",
              signature: "",
              isDefault: false,
              treatAsAlias: true,
              verificationStatus: "accepted",
            })),
          ],
        });
      default:
        return this.apiError(res, googleErrors.notFound());
    }
  }

  private listMessages(res: ServerResponse, mailbox: Mailbox, q: URLSearchParams, metadataOnly: boolean): undefined {
    const maxResults = parseMaxResults(q.get("maxResults"), 100);
    if (typeof maxResults !== "number") return this.apiError(res, maxResults);
    const query = q.get("q");
    if (query && metadataOnly) {
      return this.apiError(res, googleErrors.badRequest("Metadata scope does not support 'q' parameter"));
    }
    const labelIds = q.getAll("labelIds");
    const filter = parseQuery(query ?? "");
    let matching = mailbox
      .newestFirst()
      .filter((m) => labelIds.every((label) => m.labelIds.includes(label)) && filter(m));
    const total = matching.length;
    const pageToken = q.get("pageToken");
    if (pageToken) {
      const cursor = decodePageToken(pageToken);
      if (!cursor) return this.apiError(res, googleErrors.invalidArgument("Invalid pageToken"));
      matching = matching.filter((m) => m.id < cursor);
    }
    const page = matching.slice(0, maxResults);
    const more = matching.length > page.length;
    this.json(res, 200, {
      ...(page.length > 0 ? { messages: page.map((m) => ({ id: m.id, threadId: m.threadId })) } : {}),
      ...(more ? { nextPageToken: encodePageToken(page.at(-1)!.id) } : {}),
      resultSizeEstimate: total,
    });
  }

  private getMessage(
    res: ServerResponse,
    mailbox: Mailbox,
    id: string,
    q: URLSearchParams,
    metadataOnly: boolean,
  ): undefined {
    const message = mailbox.get(id);
    if (!message) {
      // Gmail answers 400 for something that cannot be an id and 404 for an unknown one.
      if (id.length !== 16 || [...id].some((ch) => !"0123456789abcdef".includes(ch))) {
        return this.apiError(res, googleErrors.invalidArgument("Invalid id value"));
      }
      return this.apiError(res, googleErrors.notFound());
    }
    const format = q.get("format") ?? "full";
    if (!["full", "metadata", "minimal", "raw"].includes(format)) {
      return this.apiError(res, googleErrors.invalidArgument(`Invalid value at 'format' (${format})`));
    }
    if (metadataOnly && format !== "metadata" && format !== "minimal") {
      return this.apiError(res, googleErrors.insufficientScopes());
    }
    const base = {
      id: message.id,
      threadId: message.threadId,
      labelIds: message.labelIds,
      snippet: message.snippet,
      sizeEstimate: message.sizeEstimate,
      historyId: String(message.historyId),
      internalDate: String(message.internalDate),
    };
    if (format === "minimal") return this.json(res, 200, base);
    if (format === "raw") {
      const raw = `${message.headers.map((h) => `${h.name}: ${h.value}`).join("\r\n")}\r\n\r\n${message.body}`;
      return this.json(res, 200, { ...base, raw: Buffer.from(raw, "utf8").toString("base64url") });
    }
    if (format === "metadata") {
      const wanted = q.getAll("metadataHeaders").map((name) => name.toLowerCase());
      const headers =
        wanted.length === 0 ? message.headers : message.headers.filter((h) => wanted.includes(h.name.toLowerCase()));
      return this.json(res, 200, { ...base, payload: { mimeType: "text/plain", headers } });
    }
    const data = Buffer.from(message.body, "utf8");
    this.json(res, 200, {
      ...base,
      payload: {
        partId: "",
        mimeType: "text/plain",
        filename: "",
        headers: message.headers,
        body: { size: data.length, data: data.toString("base64url") },
      },
    });
  }

  private listHistory(res: ServerResponse, mailbox: Mailbox, q: URLSearchParams): undefined {
    const start = q.get("startHistoryId");
    if (!start) return this.apiError(res, googleErrors.invalidArgument("Missing required parameter: startHistoryId"));
    const startId = Number(start);
    if (!Number.isSafeInteger(startId) || startId < 0) {
      return this.apiError(res, googleErrors.invalidArgument(`Invalid value for startHistoryId: ${start}`));
    }
    if (startId < mailbox.historyFloor) return this.apiError(res, googleErrors.notFound());
    const maxResults = parseMaxResults(q.get("maxResults"), 100);
    if (typeof maxResults !== "number") return this.apiError(res, maxResults);
    const types = q.getAll("historyTypes");
    const labelId = q.get("labelId");
    const wantAdded = types.length === 0 || types.includes("messageAdded");
    const wantDeleted = types.length === 0 || types.includes("messageDeleted");
    const ref = (m: FakeMessage) => ({ id: m.id, threadId: m.threadId });
    const withLabel = (m: FakeMessage) => !labelId || m.labelIds.includes(labelId);
    let records = mailbox.history
      .filter((r) => r.id > startId)
      .map((r) => {
        const added = wantAdded ? r.added.filter(withLabel) : [];
        const deleted = wantDeleted ? r.deleted.filter(withLabel) : [];
        return { r, added, deleted };
      })
      .filter(({ added, deleted }) => added.length + deleted.length > 0);
    const pageToken = q.get("pageToken");
    if (pageToken) {
      const after = Number(pageToken);
      if (!Number.isSafeInteger(after)) return this.apiError(res, googleErrors.invalidArgument("Invalid pageToken"));
      records = records.filter(({ r }) => r.id > after);
    }
    const page = records.slice(0, maxResults);
    const more = records.length > page.length;
    this.json(res, 200, {
      ...(page.length > 0
        ? {
            history: page.map(({ r, added, deleted }) => ({
              id: String(r.id),
              messages: [...added, ...deleted].map(ref),
              ...(added.length > 0
                ? { messagesAdded: added.map((m) => ({ message: { ...ref(m), labelIds: m.labelIds } })) }
                : {}),
              ...(deleted.length > 0
                ? { messagesDeleted: deleted.map((m) => ({ message: { ...ref(m), labelIds: m.labelIds } })) }
                : {}),
            })),
          }
        : {}),
      ...(more ? { nextPageToken: String(page.at(-1)!.r.id) } : {}),
      historyId: String(mailbox.historyId),
    });
  }

  // --- control routes ---------------------------------------------------------------------

  private async control(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<undefined> {
    const raw = await readBody(req);
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      return this.json(res, 400, { error: "body must be JSON" });
    }
    const parts = path.split("/").slice(2).map(decodeURIComponent); // after "/__fake/"
    const method = req.method ?? "GET";
    const [head, email, action] = parts;
    try {
      if (method === "GET" && head === "stats") return this.json(res, 200, this.getStats());
      if (method === "POST" && head === "reset-stats") {
        this.resetStats();
        return this.json(res, 200, {});
      }
      if (method === "PUT" && head === "latency") {
        this.latencyMs = Number(body.ms ?? url.searchParams.get("ms") ?? 0);
        return this.json(res, 200, { latencyMs: this.latencyMs });
      }
      if (method === "POST" && head === "faults") {
        const { count, ...spec } = body as { count?: number } & FaultSpec;
        this.failNext(Number(count ?? 1), spec as FaultSpec);
        return this.json(res, 200, { queued: this.faults.length });
      }
      if (method === "DELETE" && head === "faults") {
        this.clearFaults();
        return this.json(res, 200, {});
      }
      if (method === "POST" && head === "mailboxes" && !email) {
        const mailbox = this.addMailbox(body as unknown as MailboxOptions);
        return this.json(res, 200, {
          email: mailbox.email,
          messages: mailbox.messages.length,
          historyId: mailbox.historyId,
        });
      }
      if (method === "POST" && head === "mailboxes" && email && action === "messages") {
        const added = this.mailbox(email).addMessages(Number(body.count ?? 1));
        return this.json(res, 200, { ids: added.map((m) => m.id), historyId: this.mailbox(email).historyId });
      }
      if (method === "POST" && head === "mailboxes" && email && action === "expire-history") {
        this.mailbox(email).expireHistory();
        return this.json(res, 200, {});
      }
      if (method === "POST" && head === "accounts" && email && action === "revoke") {
        this.revokeAccess(email);
        return this.json(res, 200, {});
      }
      if (method === "POST" && head === "accounts" && email && action === "expire-access-tokens") {
        this.expireAccessTokens(email);
        return this.json(res, 200, {});
      }
      if (method === "POST" && head === "deny-consent") {
        this.denyConsent += Number(body.count ?? 1);
        return this.json(res, 200, {});
      }
    } catch (error) {
      return this.json(res, 400, { error: error instanceof Error ? error.message : String(error) });
    }
    this.json(res, 404, { error: `no control route ${method} ${path}` });
  }

  // --- responses ------------------------------------------------------------------------

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): undefined {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json; charset=UTF-8",
      "content-length": Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  private apiError(res: ServerResponse, error: ApiError): undefined {
    this.json(res, error.httpStatus, error.body, error.headers);
  }

  private oauthError(res: ServerResponse, error: OAuthError): undefined {
    this.json(res, error.httpStatus, error.body);
  }

  private redirect(res: ServerResponse, location: string): undefined {
    res.writeHead(302, { location, "content-length": 0 });
    res.end();
  }

  private html(res: ServerResponse, status: number, title: string, message: string): undefined {
    const text = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
    res.writeHead(status, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }
}

function faultError(fault: Extract<FaultSpec, { status: number }>, now: number): ApiError {
  const retryAt = fault.retryAfterSec !== undefined ? new Date(now + fault.retryAfterSec * 1000) : null;
  const retryAfter: Record<string, string> =
    fault.retryAfterSec !== undefined ? { "retry-after": String(Math.ceil(fault.retryAfterSec)) } : {};
  switch (fault.status) {
    case 429:
      return withHeaders(googleErrors.tooManyRequests(retryAt), retryAfter);
    case 403:
      return withHeaders(googleErrors.rateLimit403(fault.reason ?? "userRateLimitExceeded", retryAt), retryAfter);
    case 500:
      return googleErrors.backendError();
    case 503:
      return googleErrors.unavailable();
  }
}

function withHeaders(error: ApiError, headers: Record<string, string>): ApiError {
  return { ...error, headers: { ...error.headers, ...headers } };
}

/** Names a request by the API method it calls, for stats and fault targeting. */
function routeName(method: string, path: string): string {
  if (path === "/o/oauth2/v2/auth" || path === "/o/oauth2/auth") return "oauth.authorize";
  if (path === "/token" || path === "/o/oauth2/token") return "oauth.token";
  if (path === "/revoke" || path === "/o/oauth2/revoke") return "oauth.revoke";
  if (path === "/tokeninfo") return "oauth.tokeninfo";
  const parts = path.split("/");
  if (method !== "GET" || parts[1] !== "gmail" || parts[2] !== "v1" || parts[3] !== "users" || !parts[4]) {
    return "unknown";
  }
  const rest = parts.slice(5).join("/");
  if (rest === "profile") return "gmail.users.getProfile";
  if (rest === "messages") return "gmail.users.messages.list";
  if (parts[5] === "messages" && parts.length === 7 && parts[6]) return "gmail.users.messages.get";
  if (rest === "history") return "gmail.users.history.list";
  if (rest === "settings/sendAs") return "gmail.users.settings.sendAs.list";
  return "unknown";
}

/**
 * The slice of Gmail's search syntax a sync uses: `category:x`, `-category:x`,
 * `in:inbox|sent`, `label:x` and their negations; other terms are ignored.
 */
function parseQuery(query: string): (message: FakeMessage) => boolean {
  const tests: ((message: FakeMessage) => boolean)[] = [];
  for (const term of query.split(" ")) {
    if (!term) continue;
    const negate = term.startsWith("-");
    const body = negate ? term.slice(1) : term;
    const colon = body.indexOf(":");
    if (colon < 0) continue;
    const key = body.slice(0, colon).toLowerCase();
    const value = body.slice(colon + 1).toUpperCase();
    let label: string | null = null;
    if (key === "category") label = value === "PRIMARY" ? "CATEGORY_PERSONAL" : `CATEGORY_${value}`;
    else if (key === "in" || key === "label") label = value;
    if (!label) continue;
    const wanted = label;
    tests.push((m) => m.labelIds.includes(wanted) !== negate);
  }
  return (message) => tests.every((test) => test(message));
}

function parseForm(req: IncomingMessage, raw: string): URLSearchParams {
  if ((req.headers["content-type"] ?? "").includes("application/json") && raw) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(JSON.parse(raw) as Record<string, unknown>))
      params.set(key, String(value));
    return params;
  }
  return new URLSearchParams(raw);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Starts a fake on a free port (or `options.port`). */
export async function startGoogleFake(options: GoogleFakeOptions = {}): Promise<GoogleFake> {
  return new GoogleFake(options).listen();
}
