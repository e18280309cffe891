import type { Context } from "../../trpc";

export const REFRESH_COOKIE = "rapport_refresh";
// Sent only to the API (tRPC batches share the /trpc prefix), never to the SPA's pages.
const COOKIE_PATH = "/trpc";

function isLocalHost(host: string | null): boolean {
  const name = (host ?? "").replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return name === "localhost" || name === "127.0.0.1" || name === "::1" || name.endsWith(".localhost");
}

/**
 * The browser's refresh token: httpOnly (scripts never see it), SameSite=Strict
 * (no cross-site request carries it), Secure everywhere but localhost.
 */
export function setRefreshCookie(ctx: Context, token: string, expiresAt: Date): void {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - ctx.runtime.clock.now().getTime()) / 1000));
  const secure = isLocalHost(ctx.host) ? "" : "; Secure";
  ctx.setCookie(`${REFRESH_COOKIE}=${token}; Path=${COOKIE_PATH}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`);
}

export function clearRefreshCookie(ctx: Context): void {
  const secure = isLocalHost(ctx.host) ? "" : "; Secure";
  ctx.setCookie(`${REFRESH_COOKIE}=; Path=${COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Strict${secure}`);
}

export function readRefreshCookie(ctx: Context): string | null {
  for (const part of (ctx.cookie ?? "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === REFRESH_COOKIE) return rest.join("=") || null;
  }
  return null;
}
