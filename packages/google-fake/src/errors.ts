/**
 * Google's error bodies, as the real APIs send them. The JSON APIs (Gmail) answer
 * `{ error: { code, message, errors: [{ message, domain, reason }], status } }`; the
 * OAuth endpoints answer the flat `{ error, error_description }` of RFC 6749.
 */

export interface GoogleErrorDetail {
  message: string;
  domain: string;
  reason: string;
  location?: string;
  locationType?: string;
}

export interface GoogleErrorBody {
  error: { code: number; message: string; errors: GoogleErrorDetail[]; status: string };
}

export interface ApiError {
  httpStatus: number;
  body: GoogleErrorBody;
  headers?: Record<string, string>;
}

function apiError(
  code: number,
  status: string,
  message: string,
  detail: Omit<GoogleErrorDetail, "message"> & { message?: string },
  headers?: Record<string, string>,
): ApiError {
  return {
    httpStatus: code,
    body: { error: { code, message, errors: [{ ...detail, message: detail.message ?? message }], status } },
    ...(headers ? { headers } : {}),
  };
}

const AUTH_HINT =
  "Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

export const googleErrors = {
  missingCredentials: () =>
    apiError(
      401,
      "UNAUTHENTICATED",
      `Request is missing required authentication credential. ${AUTH_HINT}`,
      {
        message: "Login Required.",
        domain: "global",
        reason: "required",
        location: "Authorization",
        locationType: "header",
      },
      { "www-authenticate": 'Bearer realm="https://accounts.google.com/"' },
    ),
  invalidCredentials: () =>
    apiError(
      401,
      "UNAUTHENTICATED",
      `Request had invalid authentication credentials. ${AUTH_HINT}`,
      {
        message: "Invalid Credentials",
        domain: "global",
        reason: "authError",
        location: "Authorization",
        locationType: "header",
      },
      { "www-authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
    ),
  insufficientScopes: () =>
    apiError(
      403,
      "PERMISSION_DENIED",
      "Request had insufficient authentication scopes.",
      { message: "Insufficient Permission", domain: "global", reason: "insufficientPermissions" },
      {
        "www-authenticate":
          'Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="https://www.googleapis.com/auth/gmail.readonly"',
      },
    ),
  delegationDenied: (userId: string) =>
    apiError(403, "PERMISSION_DENIED", `Delegation denied for ${userId}`, { domain: "global", reason: "forbidden" }),
  notFound: () =>
    apiError(404, "NOT_FOUND", "Requested entity was not found.", { domain: "global", reason: "notFound" }),
  invalidArgument: (message: string) =>
    apiError(400, "INVALID_ARGUMENT", message, { domain: "global", reason: "invalidArgument" }),
  badRequest: (message: string) =>
    apiError(400, "FAILED_PRECONDITION", message, { domain: "global", reason: "failedPrecondition" }),
  /** 429 as Gmail sends it for too many concurrent requests or a burst over the per-user quota. */
  tooManyRequests: (retryAt: Date | null) =>
    retryAt
      ? apiError(429, "RESOURCE_EXHAUSTED", `User-rate limit exceeded.  Retry after ${retryAt.toISOString()}`, {
          domain: "usageLimits",
          reason: "rateLimitExceeded",
        })
      : apiError(429, "RESOURCE_EXHAUSTED", "Too many concurrent requests for user.", {
          domain: "global",
          reason: "rateLimitExceeded",
        }),
  /** 403 with a usage-limit reason: Gmail's older way of saying "slow down". */
  rateLimit403: (reason: "rateLimitExceeded" | "userRateLimitExceeded", retryAt: Date | null) =>
    apiError(
      403,
      "PERMISSION_DENIED",
      reason === "userRateLimitExceeded"
        ? `User-rate limit exceeded.${retryAt ? `  Retry after ${retryAt.toISOString()}` : ""}`
        : `Rate Limit Exceeded${retryAt ? `.  Retry after ${retryAt.toISOString()}` : ""}`,
      { domain: "usageLimits", reason },
    ),
  backendError: () =>
    apiError(500, "INTERNAL", "Internal error encountered.", { domain: "global", reason: "backendError" }),
  unavailable: () =>
    apiError(503, "UNAVAILABLE", "The service is currently unavailable.", { domain: "global", reason: "backendError" }),
};

export interface OAuthError {
  httpStatus: number;
  body: { error: string; error_description: string };
}

export const oauthErrors = {
  invalidClient: (): OAuthError => ({
    httpStatus: 401,
    body: { error: "invalid_client", error_description: "The OAuth client was not found." },
  }),
  invalidGrant: (description: string): OAuthError => ({
    httpStatus: 400,
    body: { error: "invalid_grant", error_description: description },
  }),
  revoked: (): OAuthError => ({
    httpStatus: 400,
    body: { error: "invalid_grant", error_description: "Token has been expired or revoked." },
  }),
  redirectUriMismatch: (): OAuthError => ({
    httpStatus: 400,
    body: { error: "redirect_uri_mismatch", error_description: "Bad Request" },
  }),
  invalidRequest: (description: string): OAuthError => ({
    httpStatus: 400,
    body: { error: "invalid_request", error_description: description },
  }),
  unsupportedGrantType: (grantType: string): OAuthError => ({
    httpStatus: 400,
    body: { error: "unsupported_grant_type", error_description: `Invalid grant_type: ${grantType}` },
  }),
  invalidToken: (): OAuthError => ({
    httpStatus: 400,
    body: { error: "invalid_token", error_description: "Token expired or revoked" },
  }),
};
