/**
 * Drives the fake with Google's own client libraries (@googleapis/gmail + google-auth-library),
 * pointed at it through `rootUrl` and OAuth2Client `endpoints`: if the shapes were not
 * Google's, these clients would fail to parse, refresh or retry the way they do here.
 */
import { CodeChallengeMethod, OAuth2Client } from "google-auth-library";
import { gmail as gmailApi, type gmail_v1 } from "@googleapis/gmail";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GMAIL_SCOPES, type GoogleFake, Mailbox, startGoogleFake } from "../src/index";

const REDIRECT_URI = "http://127.0.0.1:1/oauth/google/callback";
const OWNER = "owner@company.example";

let fake: GoogleFake;

beforeAll(async () => {
  fake = await startGoogleFake({ redirectUris: [REDIRECT_URI] });
  fake.addMailbox({ email: OWNER, name: "Olga Owner", aliases: ["olga@alias.example"], messages: 1_234, seed: 7 });
});
afterAll(async () => {
  await fake.close();
});

function oauthClient(): OAuth2Client {
  return new OAuth2Client({
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    redirectUri: REDIRECT_URI,
    endpoints: fake.oauthEndpoints,
  });
}

/** Follows the consent page the way a browser would and returns the callback's query. */
async function consent(authUrl: string): Promise<URLSearchParams> {
  const response = await fetch(authUrl, { redirect: "manual" });
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get("location")!);
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
  return location.searchParams;
}

/** A connected client as Rapport would hold it: consent with PKCE, then the code exchanged. */
async function connect(scope: string = GMAIL_SCOPES.readonly): Promise<{ auth: OAuth2Client; gmail: gmail_v1.Gmail }> {
  const auth = oauthClient();
  const { codeVerifier, codeChallenge } = await auth.generateCodeVerifierAsync();
  const query = await consent(
    auth.generateAuthUrl({
      access_type: "offline",
      prompt: "consent",
      scope: [scope],
      state: "state-1",
      code_challenge: codeChallenge!,
      code_challenge_method: CodeChallengeMethod.S256,
    }),
  );
  const { tokens } = await auth.getToken({ code: query.get("code")!, codeVerifier });
  auth.setCredentials(tokens);
  return { auth, gmail: gmailApi({ version: "v1", rootUrl: fake.rootUrl, auth }) };
}

/** The Google error body a failed googleapis call carries. */
async function failure(
  call: Promise<unknown>,
): Promise<{ status: number; data: any; headers: Record<string, string> }> {
  const error = (await call.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e,
  )) as { response?: { status: number; data: unknown; headers: Headers } };
  const { status, data, headers } = error.response!;
  return { status, data, headers: Object.fromEntries(headers.entries()) };
}

describe("OAuth", () => {
  it("auto-approves consent, echoes state and exchanges the code once, checking the PKCE verifier", async () => {
    const auth = oauthClient();
    const { codeVerifier, codeChallenge } = await auth.generateCodeVerifierAsync();
    const url = auth.generateAuthUrl({
      access_type: "offline",
      prompt: "consent",
      scope: [GMAIL_SCOPES.readonly],
      state: "csrf-value",
      code_challenge: codeChallenge!,
      code_challenge_method: CodeChallengeMethod.S256,
    });
    expect(url.startsWith(fake.oauthEndpoints.oauth2AuthBaseUrl)).toBe(true);
    const query = await consent(url);
    expect(query.get("state")).toBe("csrf-value");
    expect(query.get("scope")).toBe(GMAIL_SCOPES.readonly);
    const code = query.get("code")!;

    const wrong = await failure(auth.getToken({ code, codeVerifier: `${codeVerifier}x` }));
    expect({ status: wrong.status, data: wrong.data }).toEqual({
      status: 400,
      data: { error: "invalid_grant", error_description: "Invalid code verifier." },
    });
    const missing = await failure(auth.getToken({ code }));
    expect(missing.data.error_description).toBe("Missing code verifier.");

    let emitted: unknown = null;
    auth.on("tokens", (tokens) => {
      emitted = tokens;
    });
    const { tokens } = await auth.getToken({ code, codeVerifier });
    expect(tokens.access_token).toMatch(/^ya29\./);
    expect(tokens.refresh_token).toMatch(/^1\/\/0/);
    expect(tokens.scope).toBe(GMAIL_SCOPES.readonly);
    expect(tokens.token_type).toBe("Bearer");
    // The client turns expires_in into expiry_date: proof the field is there and numeric.
    expect(tokens.expiry_date).toBeGreaterThan(Date.now() + 3_500_000);
    expect(emitted).toEqual(tokens);

    const reused = await failure(auth.getToken({ code, codeVerifier }));
    expect(reused.data.error).toBe("invalid_grant");
  });

  it("refuses an unknown client and a redirect URI that is not registered", async () => {
    const stranger = new OAuth2Client({
      clientId: "someone-else",
      clientSecret: "x",
      redirectUri: REDIRECT_URI,
      endpoints: fake.oauthEndpoints,
    });
    const page = await fetch(stranger.generateAuthUrl({ scope: [GMAIL_SCOPES.readonly] }), { redirect: "manual" });
    expect(page.status).toBe(401);
    expect(await page.text()).toContain("invalid_client");

    const elsewhere = new OAuth2Client({
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      redirectUri: "http://evil.example/cb",
      endpoints: fake.oauthEndpoints,
    });
    const mismatch = await fetch(elsewhere.generateAuthUrl({ scope: [GMAIL_SCOPES.readonly] }), { redirect: "manual" });
    expect(mismatch.status).toBe(400);
    expect(await mismatch.text()).toContain("redirect_uri_mismatch");
  });

  it("redirects with error=access_denied when the user cancels", async () => {
    fake.denyConsent = 1;
    const query = await consent(oauthClient().generateAuthUrl({ scope: [GMAIL_SCOPES.readonly], state: "s" }));
    expect(query.get("error")).toBe("access_denied");
    expect(query.get("state")).toBe("s");
    expect(query.has("code")).toBe(false);
  });

  it("gives no refresh token without access_type=offline", async () => {
    const auth = oauthClient();
    const query = await consent(auth.generateAuthUrl({ scope: [GMAIL_SCOPES.readonly] }));
    const { tokens } = await auth.getToken(query.get("code")!);
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeUndefined();
  });

  it("refreshes an access token past its expiry before the call, emitting the new tokens", async () => {
    const { auth, gmail } = await connect();
    const first = auth.credentials.access_token;
    const refreshed: string[] = [];
    auth.on("tokens", (tokens) => refreshed.push(tokens.access_token!));
    // As credentials loaded back from storage an hour later look.
    auth.setCredentials({ ...auth.credentials, expiry_date: Date.now() - 1_000 });
    fake.expireAccessTokens(OWNER);
    const before = fake.getStats().byRoute["oauth.token"] ?? 0;
    const profile = await gmail.users.getProfile({ userId: "me" });
    expect(profile.data.emailAddress).toBe(OWNER);
    expect(fake.getStats().byRoute["oauth.token"]).toBe(before + 1);
    expect(refreshed).toHaveLength(1);
    expect(refreshed[0]).not.toBe(first);
    expect(auth.credentials.access_token).toBe(refreshed[0]);
    expect(auth.credentials.refresh_token).toBeTruthy();
  });

  it("answers 401 for an access token Google expired early; forceRefreshOnFailure refreshes and retries", async () => {
    const { auth, gmail } = await connect();
    fake.expireAccessTokens(OWNER);
    const stale = await failure(gmail.users.getProfile({ userId: "me" }));
    expect(stale.status).toBe(401);
    expect(stale.data.error).toMatchObject({ code: 401, status: "UNAUTHENTICATED" });
    expect(stale.data.error.errors[0].reason).toBe("authError");

    auth.forceRefreshOnFailure = true;
    const profile = await gmail.users.getProfile({ userId: "me" });
    expect(profile.data.emailAddress).toBe(OWNER);
    expect(fake.requestLog.slice(-3).map((r) => `${r.route} ${r.status}`)).toEqual([
      "gmail.users.getProfile 401",
      "oauth.token 200",
      "gmail.users.getProfile 200",
    ]);
  });

  it("answers invalid_grant for a revoked grant's refresh token, and 401 for its access token", async () => {
    const { auth, gmail } = await connect();
    fake.revokeAccess(OWNER);
    expect((await failure(gmail.users.getProfile({ userId: "me" }))).status).toBe(401);
    auth.forceRefreshOnFailure = true;
    const denied = await failure(gmail.users.getProfile({ userId: "me" }));
    // The client refreshed after the 401 and the refresh itself failed.
    expect({ status: denied.status, data: denied.data }).toEqual({
      status: 400,
      data: { error: "invalid_grant", error_description: "Token has been expired or revoked." },
    });
    const refresh = await failure(auth.refreshAccessToken());
    expect(refresh.data.error).toBe("invalid_grant");
  });

  it("revokes a grant through the revoke endpoint, by refresh token or access token", async () => {
    const { auth } = await connect();
    const refreshToken = auth.credentials.refresh_token!;
    await auth.revokeToken(refreshToken);
    expect(fake.grants(OWNER).find((grant) => grant.refreshToken === refreshToken)?.revoked).toBe(true);
    expect((await failure(auth.revokeToken(refreshToken))).data.error).toBe("invalid_token");

    // Revoking the access token revokes the grant its refresh token belongs to.
    const other = await connect();
    const grant = fake.grants(OWNER).find((g) => g.refreshToken === other.auth.credentials.refresh_token)!;
    expect(grant.revoked).toBe(false);
    await other.auth.revokeCredentials();
    expect(grant.revoked).toBe(true);
  });
});

describe("Gmail v1", () => {
  let gmail: gmail_v1.Gmail;
  beforeAll(async () => {
    ({ gmail } = await connect());
  });

  it("users.getProfile returns the address and a string historyId", async () => {
    const { data } = await gmail.users.getProfile({ userId: "me" });
    expect(data).toEqual({
      emailAddress: OWNER,
      messagesTotal: 1_234,
      threadsTotal: 1_234,
      historyId: String(fake.mailbox(OWNER).historyId),
    });
    expect(typeof data.historyId).toBe("string");
  });

  it("users.messages.list pages newest first through every message, at most 500 a page", async () => {
    const ids: string[] = [];
    let pageToken: string | undefined;
    const sizes: number[] = [];
    do {
      const { data } = await gmail.users.messages.list({ userId: "me", maxResults: 1_000, pageToken });
      expect(data.resultSizeEstimate).toBe(1_234);
      sizes.push(data.messages!.length);
      ids.push(...data.messages!.map((m) => m.id!));
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(sizes).toEqual([500, 500, 234]);
    expect(new Set(ids).size).toBe(1_234);
    expect(ids).toEqual(
      fake
        .mailbox(OWNER)
        .newestFirst()
        .map((m) => m.id),
    );
    const dates = fake
      .mailbox(OWNER)
      .newestFirst()
      .map((m) => m.internalDate);
    expect([...dates].sort((a, b) => b - a)).toEqual(dates);
  });

  it("users.messages.list defaults to 100 a page, filters by label and by category in q", async () => {
    const { data } = await gmail.users.messages.list({ userId: "me" });
    expect(data.messages).toHaveLength(100);
    const sent = await gmail.users.messages.list({ userId: "me", labelIds: ["SENT"], maxResults: 500 });
    const expectedSent = fake.mailbox(OWNER).messages.filter((m) => m.labelIds.includes("SENT")).length;
    expect(sent.data.resultSizeEstimate).toBe(expectedSent);
    expect(expectedSent).toBeGreaterThan(300);
    const primary = await gmail.users.messages.list({
      userId: "me",
      q: "-category:promotions -in:sent",
      maxResults: 1,
    });
    expect(primary.data.resultSizeEstimate).toBe(1_234 - expectedSent);
  });

  it("users.messages.get format=metadata returns only the requested headers (repeated metadataHeaders)", async () => {
    const newest = fake.mailbox(OWNER).newestFirst()[0]!;
    const { data } = await gmail.users.messages.get({
      userId: "me",
      id: newest.id,
      format: "metadata",
      metadataHeaders: ["From", "To", "Cc", "Subject", "Date", "Message-ID"],
    });
    expect(data.id).toBe(newest.id);
    expect(data.threadId).toBe(newest.threadId);
    expect(data.internalDate).toBe(String(newest.internalDate));
    expect(data.historyId).toBe(String(newest.historyId));
    expect(data.labelIds).toEqual(newest.labelIds);
    expect(typeof data.snippet).toBe("string");
    const names = data.payload!.headers!.map((h) => h.name);
    expect(names).toEqual(
      newest.headers
        .map((h) => h.name)
        .filter((n) => ["From", "To", "Cc", "Subject", "Date", "Message-ID"].includes(n)),
    );
    expect(names).not.toContain("Delivered-To");
    const all = await gmail.users.messages.get({ userId: "me", id: newest.id, format: "metadata" });
    expect(all.data.payload!.headers).toEqual(newest.headers);
  });

  it("answers Google's error body for an unknown message and a malformed id", async () => {
    const missing = await failure(
      gmail.users.messages.get({ userId: "me", id: "0000000000000001", format: "metadata" }),
    );
    expect({ status: missing.status, data: missing.data }).toEqual({
      status: 404,
      data: {
        error: {
          code: 404,
          message: "Requested entity was not found.",
          errors: [{ message: "Requested entity was not found.", domain: "global", reason: "notFound" }],
          status: "NOT_FOUND",
        },
      },
    });
    const malformed = await failure(gmail.users.messages.get({ userId: "me", id: "not-an-id" }));
    expect(malformed.status).toBe(400);
    expect(malformed.data.error.status).toBe("INVALID_ARGUMENT");
  });

  it("users.history.list returns messageAdded records after new mail, pages, and 404s once history expires", async () => {
    const mailbox = fake.mailbox(OWNER);
    const start = (await gmail.users.getProfile({ userId: "me" })).data.historyId!;
    const quiet = await gmail.users.history.list({
      userId: "me",
      startHistoryId: start,
      historyTypes: ["messageAdded"],
    });
    expect(quiet.data).toEqual({ historyId: start });

    const added = mailbox.addMessages(5);
    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    let last: gmail_v1.Schema$ListHistoryResponse;
    do {
      ({ data: last } = await gmail.users.history.list({
        userId: "me",
        startHistoryId: start,
        historyTypes: ["messageAdded"],
        maxResults: 2,
        pageToken,
      }));
      pages += 1;
      for (const record of last.history ?? []) {
        expect(typeof record.id).toBe("string");
        for (const item of record.messagesAdded ?? []) seen.push(item.message!.id!);
      }
      pageToken = last.nextPageToken ?? undefined;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(seen).toEqual(added.map((m) => m.id));
    expect(last.historyId).toBe(String(mailbox.historyId));
    // New mail is listed first by messages.list.
    const newest = await gmail.users.messages.list({ userId: "me", maxResults: 5 });
    expect(newest.data.messages!.map((m) => m.id)).toEqual(added.map((m) => m.id).reverse());

    mailbox.expireHistory();
    const expired = await failure(gmail.users.history.list({ userId: "me", startHistoryId: start }));
    expect(expired.status).toBe(404);
    expect(expired.data.error.errors[0].reason).toBe("notFound");
  });

  it("users.settings.sendAs.list names the owner's aliases", async () => {
    const { data } = await gmail.users.settings.sendAs.list({ userId: "me" });
    expect(data.sendAs!.map((s) => s.sendAsEmail)).toEqual([OWNER, "olga@alias.example"]);
  });

  it("checks the bearer token and the scope", async () => {
    const anonymous = await fetch(`${fake.rootUrl}gmail/v1/users/me/profile`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toContain("Bearer");
    expect(((await anonymous.json()) as any).error.errors[0].reason).toBe("required");

    const { gmail: withoutGmail } = await connect("openid email");
    const scoped = await failure(withoutGmail.users.getProfile({ userId: "me" }));
    expect(scoped.status).toBe(403);
    expect(scoped.data.error.errors[0].reason).toBe("insufficientPermissions");

    const other = await failure(gmail.users.getProfile({ userId: "someone@else.example" }));
    expect(other.status).toBe(403);
  });
});

describe("fault injection", () => {
  let gmail: gmail_v1.Gmail;
  beforeAll(async () => {
    ({ gmail } = await connect());
  });

  it("429 and 403 rate limits name the time to retry after in the message", async () => {
    fake.failNext(1, { status: 429, retryAfterSec: 30 });
    const tooMany = await failure(gmail.users.getProfile({ userId: "me" }, { retry: false }));
    expect(tooMany.status).toBe(429);
    expect(tooMany.data.error.status).toBe("RESOURCE_EXHAUSTED");
    expect(tooMany.data.error.errors[0].reason).toBe("rateLimitExceeded");
    const retryAfter = /Retry after (\S+)$/.exec(tooMany.data.error.message)![1]!;
    expect(Date.parse(retryAfter) - Date.now()).toBeGreaterThan(25_000);
    expect(tooMany.headers["retry-after"]).toBe("30");

    fake.failNext(1, { status: 403, reason: "userRateLimitExceeded", retryAfterSec: 2 });
    const limited = await failure(gmail.users.getProfile({ userId: "me" }, { retry: false }));
    expect(limited.status).toBe(403);
    expect(limited.data.error.errors[0]).toMatchObject({ domain: "usageLimits", reason: "userRateLimitExceeded" });
    expect(limited.data.error.message).toMatch(/^User-rate limit exceeded\. {2}Retry after \d{4}-/);

    // The fault was used up: the next call succeeds.
    expect((await gmail.users.getProfile({ userId: "me" }, { retry: false })).status).toBe(200);
  });

  it("5xx faults are consumed one request at a time (the client's own retries use them up)", async () => {
    fake.resetStats();
    fake.failNext(2, { status: 500, pathContains: "/profile" });
    const { data } = await gmail.users.getProfile({ userId: "me" });
    expect(data.emailAddress).toBe(OWNER);
    expect(fake.getStats().byRoute["gmail.users.getProfile"]).toBe(3);
    expect(fake.requestLog.map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it("applies latency to every request, concurrently", async () => {
    fake.latencyMs = 100;
    fake.resetStats();
    try {
      const started = performance.now();
      await Promise.all(Array.from({ length: 8 }, () => gmail.users.getProfile({ userId: "me" })));
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(95);
      expect(elapsed).toBeLessThan(700);
      expect(fake.getStats()).toMatchObject({ requests: 8, maxInFlight: 8 });
    } finally {
      fake.latencyMs = 0;
    }
  });

  it("can be steered over HTTP through the /__fake control routes", async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${fake.url}/__fake/${path}`, { method: "POST", body: JSON.stringify(body) });
    expect((await post("faults", { count: 1, status: 503 })).status).toBe(200);
    expect((await failure(gmail.users.getProfile({ userId: "me" }, { retry: false }))).status).toBe(503);
    const created = await post("mailboxes", { email: "second@company.example", messages: 3 });
    expect(await created.json()).toMatchObject({ email: "second@company.example", messages: 3 });
    const added = (await (await post(`mailboxes/second@company.example/messages`, { count: 2 })).json()) as {
      ids: string[];
    };
    expect(added.ids).toHaveLength(2);
    expect(fake.mailbox("second@company.example").newestFirst()).toHaveLength(5);
    const stats = (await (await fetch(`${fake.url}/__fake/stats`)).json()) as { requests: number };
    expect(stats.requests).toBeGreaterThan(0);
  });
});

describe("mailbox generator", () => {
  const now = () => Date.UTC(2026, 11, 1);

  it("is deterministic for a seed and puts exactly M other people on each personal message", () => {
    const a = new Mailbox({ email: "me@x.example", messages: 300, participantsPerMessage: 3, seed: 42, now });
    const b = new Mailbox({ email: "me@x.example", messages: 300, participantsPerMessage: 3, seed: 42, now });
    expect(a.messages.map((m) => m.headers)).toEqual(b.messages.map((m) => m.headers));
    const c = new Mailbox({ email: "me@x.example", messages: 300, participantsPerMessage: 3, seed: 43, now });
    expect(c.messages[0]!.headers).not.toEqual(a.messages[0]!.headers);
    for (const message of a.messages) {
      const others = [message.from, ...message.to, ...message.cc].filter((p) => p.email !== "me@x.example");
      expect(new Set(others.map((p) => p.email)).size).toBe(3);
      expect(message.internalDate).toBeLessThanOrEqual(now());
    }
    expect(a.expectedContacts().size).toBeGreaterThan(100);
  });

  it("writes headers the many ways real mail does: accents, quoted names with commas, encoded words, mixed case", () => {
    const mailbox = new Mailbox({ email: "me@x.example", messages: 400, seed: 3, encodedWordRatio: 0.2, now });
    const values = mailbox.messages
      .flatMap((m) => m.headers.filter((h) => ["From", "To", "Cc"].includes(h.name)))
      .map((h) => h.value);
    expect(values.some((v) => /^"[^"]+, [^"]+" </.test(v))).toBe(true);
    expect(values.some((v) => v.includes("=?UTF-8?B?"))).toBe(true);
    expect(values.some((v) => v.includes("=?UTF-8?Q?"))).toBe(true);
    expect(values.some((v) => /[À-ž]/.test(v))).toBe(true);
    expect(values.some((v) => /<[A-Z]/.test(v))).toBe(true);
    // The truth behind the headers is lower case and decoded.
    for (const person of mailbox.people) expect(person.email).toBe(person.email.toLowerCase());
  });

  it("keeps category and automated mail out of the expected contacts, and the owner's aliases too", () => {
    const mailbox = new Mailbox({
      email: "me@x.example",
      aliases: ["alias@x.example"],
      messages: 200,
      categoryMessages: 30,
      automatedMessages: 20,
      seed: 9,
      now,
    });
    const expected = mailbox.expectedContacts();
    expect(mailbox.messages.filter((m) => m.labelIds.includes("CATEGORY_PROMOTIONS")).length).toBeGreaterThan(0);
    expect([...expected].some((email) => email.includes("no-reply") || email.includes("deals@"))).toBe(false);
    expect(expected.has("me@x.example") || expected.has("alias@x.example")).toBe(false);
    expect(mailbox.messages.some((m) => m.from.email === "alias@x.example")).toBe(true);
  });
});
