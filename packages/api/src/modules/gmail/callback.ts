/**
 * `GET /oauth/google/callback?code=…&state=…`: where Google sends the browser back after
 * consent. Mounted in apps/server/src/http.ts. The browser brings no session here (the
 * session's cookie is SameSite=Strict and bound to /trpc), so this route redeems nothing: it
 * checks that the state is one Rapport issued, unexpired and unused, and that the user it
 * names may still connect a mailbox in its workspace (authorizeWorkspace, as for procedures),
 * then hands the code to the Integrations page, which completes with `gmail.completeOAuth`
 * under the signed-in user's session (that call redeems the state, once). Anything wrong: a
 * plain error page, nothing stored.
 */
import type http from "node:http";
import { DomainError } from "../../errors";
import { methodNotAllowed, sendError } from "../../plain-route";
import type { Runtime } from "../../platform/runtime-types";
import { authorizeWorkspace } from "../../trpc";

export const GOOGLE_OAUTH_CALLBACK_PATH = "/oauth/google/callback";
/** The SPA page that completes the connection. */
const INTEGRATIONS_PAGE_PATH = "/integrations";

const REASONS = {
  invalid: "This link to connect Gmail is not valid.",
  expired: "This link to connect Gmail has expired (they last 10 minutes).",
  used: "This link to connect Gmail was already used.",
  denied: "Google did not grant access to the mailbox.",
  missing: "Google sent no authorization code.",
} as const;

function errorPage(res: http.ServerResponse, status: number, reason: keyof typeof REASONS): void {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gmail not connected — Rapport</title></head>
<body><main><h1>Gmail was not connected</h1><p>${REASONS[reason]}</p><p>Nothing was stored. Start again from the Integrations page.</p>
<p><a href="${INTEGRATIONS_PAGE_PATH}">Back to Integrations</a></p></main></body></html>`;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
}

/** Handles GET of the callback. Never throws: every failure is an answer. */
export async function handleGoogleOAuthCallback(
  runtime: Runtime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (req.method !== "GET") return methodNotAllowed(res, "GET");
  try {
    const params = new URL(req.url ?? "/", "http://localhost").searchParams;
    const state = params.get("state") ?? "";
    const code = params.get("code");
    const check = await runtime.services.gmail.checkState(state);
    if (!check.ok) return errorPage(res, 400, check.reason);
    if (params.get("error")) return errorPage(res, 400, "denied");
    if (!code || code.length > 2_048) return errorPage(res, 400, "missing");
    const { u: userId, w: workspaceId } = check.claims!;
    try {
      await authorizeWorkspace(runtime, userId, workspaceId, { minRole: "member", processesCallerData: true });
    } catch (error) {
      if (error instanceof DomainError) return errorPage(res, 403, "invalid");
      throw error;
    }
    const target = new URLSearchParams({ workspace: workspaceId, gmailCode: code, gmailState: state });
    res.writeHead(303, {
      location: `${INTEGRATIONS_PAGE_PATH}?${target.toString()}`,
      "cache-control": "no-store",
      // The code must not leak to other sites through the Referer of the next page.
      "referrer-policy": "no-referrer",
    });
    res.end();
  } catch (error) {
    sendError(res, runtime.log, error, { route: GOOGLE_OAUTH_CALLBACK_PATH });
  }
}
