import type { gmail_v1 } from "@googleapis/gmail";
import type { Credentials, OAuth2Client } from "google-auth-library";
import type { Config } from "../../config";

/** Read-only access to the mailbox and nothing broader. */
const GMAIL_SCOPE = "https://www.googleapis.com/auth/gmail.readonly";

export const METADATA_HEADERS = ["From", "To", "Cc", "Subject", "Date", "Message-ID"];

/** Why a Google call failed, without anything it was sent (tokens, addresses) or the raw response. */
export type GoogleFailureKind =
  | "invalid_grant" // the grant was revoked or expired: the user must reconnect
  | "rate_limited" // 429 / 403 rateLimitExceeded, userRateLimitExceeded
  | "server" // 5xx, network
  | "not_found" // 404 (history too old, message deleted)
  | "other";

export class GoogleApiError extends Error {
  constructor(
    readonly kind: GoogleFailureKind,
    readonly status: number | null,
    /** Google's reason code (`rateLimitExceeded`, `invalid_grant`…), never its free text. */
    readonly reason: string | null,
    /** When Google named a time to retry at (Retry-After, or "Retry after <date>" in the message). */
    readonly retryAt: Date | null,
  ) {
    super(`Google API ${kind}${status ? ` (HTTP ${status}${reason ? `, ${reason}` : ""})` : ""}`);
    this.name = "GoogleApiError";
  }
}

interface RawGoogleError {
  status?: number;
  code?: string | number;
  message?: string;
  response?: { status?: number; headers?: unknown; data?: unknown };
}

const RETRY_AFTER_IN_MESSAGE = "Retry after ";

/**
 * The failure as a GoogleApiError. The raw error (gaxios) carries the request — the
 * Authorization header, a token endpoint's form body — so it never leaves this function.
 */
export function classifyGoogleError(error: unknown, now: Date): GoogleApiError {
  if (error instanceof GoogleApiError) return error;
  const raw = (error ?? {}) as RawGoogleError;
  const status = raw.response?.status ?? (typeof raw.status === "number" ? raw.status : null);
  const data = raw.response?.data as
    | { error?: string | { code?: number; message?: string; errors?: { reason?: string }[]; status?: string } }
    | undefined;
  const oauthError = typeof data?.error === "string" ? data.error : null;
  const apiError = typeof data?.error === "object" ? data.error : null;
  const reason = oauthError ?? apiError?.errors?.[0]?.reason ?? apiError?.status ?? null;
  const retryAt = retryAtOf(raw.response?.headers, apiError?.message ?? "", now);
  const safeReason = reason && /^[A-Za-z_]{1,64}$/.test(reason) ? reason : null;
  if (oauthError === "invalid_grant" || (raw.message ?? "").includes("invalid_grant"))
    return new GoogleApiError("invalid_grant", status, "invalid_grant", null);
  if (status === 429 || (status === 403 && (reason === "rateLimitExceeded" || reason === "userRateLimitExceeded")))
    return new GoogleApiError("rate_limited", status, safeReason, retryAt);
  if (status === 404) return new GoogleApiError("not_found", status, safeReason, null);
  if (status === null || status >= 500) return new GoogleApiError("server", status, safeReason, retryAt);
  return new GoogleApiError("other", status, safeReason, null);
}

function retryAtOf(headers: unknown, message: string, now: Date): Date | null {
  const header =
    headers && typeof (headers as Headers).get === "function"
      ? (headers as Headers).get("retry-after")
      : ((headers as Record<string, string> | undefined)?.["retry-after"] ?? null);
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return new Date(now.getTime() + seconds * 1000);
    const date = Date.parse(header);
    if (Number.isFinite(date)) return new Date(date);
  }
  // Google writes userRateLimitExceeded as "User-rate limit exceeded.  Retry after 2026-12-03T13:30:00.000Z".
  const at = message.indexOf(RETRY_AFTER_IN_MESSAGE);
  if (at >= 0) {
    const date = Date.parse(message.slice(at + RETRY_AFTER_IN_MESSAGE.length, at + RETRY_AFTER_IN_MESSAGE.length + 40));
    if (Number.isFinite(date)) return new Date(date);
  }
  return null;
}

/**
 * Google's client libraries (this one, and @googleapis/gmail in `gmailClient`) are loaded when a
 * process first talks to Google rather than when it starts: together about 0.2 s and 5 MB of
 * heap, which a server without Gmail never needs.
 */
const loadGoogleAuth = () => import("google-auth-library");

/** The OAuth client for this deployment's Google project (endpoints overridable for the fake Google). */
export async function createOAuthClient(config: Config): Promise<OAuth2Client> {
  if (!config.GOOGLE_CLIENT_ID || !config.GOOGLE_CLIENT_SECRET) throw new Error("Gmail sync is not configured");
  const endpoints: Record<string, string> = {};
  if (config.GOOGLE_OAUTH_AUTH_URL) endpoints.oauth2AuthBaseUrl = config.GOOGLE_OAUTH_AUTH_URL;
  if (config.GOOGLE_OAUTH_TOKEN_URL) endpoints.oauth2TokenUrl = config.GOOGLE_OAUTH_TOKEN_URL;
  if (config.GOOGLE_OAUTH_REVOKE_URL) endpoints.oauth2RevokeUrl = config.GOOGLE_OAUTH_REVOKE_URL;
  const { OAuth2Client } = await loadGoogleAuth();
  return new OAuth2Client({
    clientId: config.GOOGLE_CLIENT_ID,
    clientSecret: config.GOOGLE_CLIENT_SECRET,
    redirectUri: redirectUri(config),
    endpoints,
  });
}

function redirectUri(config: Config): string {
  if (config.GOOGLE_OAUTH_REDIRECT_URL) return config.GOOGLE_OAUTH_REDIRECT_URL;
  const base = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;
  return new URL("/oauth/google/callback", base).toString();
}

export async function consentUrl(client: OAuth2Client, state: string, codeChallenge: string): Promise<string> {
  const { CodeChallengeMethod } = await loadGoogleAuth();
  return client.generateAuthUrl({
    access_type: "offline",
    prompt: "consent",
    scope: [GMAIL_SCOPE],
    include_granted_scopes: false,
    state,
    code_challenge: codeChallenge,
    code_challenge_method: CodeChallengeMethod.S256,
  });
}

/** A Gmail API client on `auth`; its own retries are off (the sync retries, honouring Google's advice). */
export async function gmailClient(config: Config, auth: OAuth2Client): Promise<gmail_v1.Gmail> {
  const { gmail } = await import("@googleapis/gmail");
  return gmail({
    version: "v1",
    auth,
    retry: false,
    ...(config.GOOGLE_API_ROOT_URL ? { rootUrl: config.GOOGLE_API_ROOT_URL } : {}),
  });
}

export type { Credentials, OAuth2Client };
