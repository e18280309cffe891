import { servesHttps } from "../../config";
import type { Context } from "../../trpc";

const REFRESH_COOKIE = "rapport_refresh";
// Sent only to the API (tRPC batches share the /trpc prefix), never to the SPA's pages.
const COOKIE_PATH = "/trpc";

/**
 * The browser's refresh token: httpOnly (scripts never see it), SameSite=Strict
 * (no cross-site request carries it), Secure whenever the server is reached over https
 * (PUBLIC_URL; see servesHttps).
 */
export function setRefreshCookie(ctx: Context, token: string, expiresAt: Date): void {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - ctx.runtime.clock.now().getTime()) / 1000));
  ctx.setCookie(
    `${REFRESH_COOKIE}=${token}; Path=${COOKIE_PATH}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secureFlag(ctx)}`,
  );
}

export function clearRefreshCookie(ctx: Context): void {
  ctx.setCookie(`${REFRESH_COOKIE}=; Path=${COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Strict${secureFlag(ctx)}`);
}

function secureFlag(ctx: Context): string {
  return servesHttps(ctx.runtime.config) ? "; Secure" : "";
}

export function readRefreshCookie(ctx: Context): string | null {
  for (const part of (ctx.cookie ?? "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === REFRESH_COOKIE) return rest.join("=") || null;
  }
  return null;
}
