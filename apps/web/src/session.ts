import type { AppRouter } from "@rapport/api";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import type { inferRouterOutputs } from "@trpc/server";
import superjson from "superjson";

/**
 * The signed-in session. The access token lives only in memory; the refresh
 * token is kept in localStorage for now (a later change moves it to an
 * httpOnly cookie). Refresh tokens rotate on every use and the server revokes
 * the whole session when one is replayed, so every refresh is single-flight in
 * this tab and serialized across tabs with a Web Lock, always reading the
 * newest token from storage.
 */

type Outputs = inferRouterOutputs<AppRouter>;
export type AuthTokens = Outputs["auth"]["refresh"];
export type SessionUser = Outputs["auth"]["login"]["user"];

export type SessionState =
  | { status: "restoring"; user: null; notice: null }
  | { status: "signedOut"; user: null; notice: string | null }
  | { status: "signedIn"; user: SessionUser; notice: null };

const REFRESH_KEY = "rapport.refreshToken";
const LOCK_NAME = "rapport.refresh";
/** Refresh when this fraction of the access token's life has passed. */
const REFRESH_AT = 0.8;
/** Before a request, refresh first if the token expires sooner than this. */
const MIN_REMAINING_MS = 10_000;

/** Auth calls that must never carry (or wait on) an access token. */
const publicClient = createTRPCClient<AppRouter>({
  links: [httpLink({ url: "/trpc", transformer: superjson })],
});

let accessToken: string | null = null;
/** Local clock time at which the access token expires (skew-free: from the JWT's own lifetime). */
let accessExpiresAt = 0;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<boolean> | null = null;

let state: SessionState = readRefreshToken()
  ? { status: "restoring", user: null, notice: null }
  : { status: "signedOut", user: null, notice: null };
const listeners = new Set<() => void>();

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function getSession(): SessionState {
  return state;
}

function setState(next: SessionState) {
  state = next;
  for (const listener of listeners) listener();
}

function readRefreshToken(): string | null {
  try {
    return localStorage.getItem(REFRESH_KEY);
  } catch {
    return null;
  }
}

function writeRefreshToken(token: string | null) {
  try {
    if (token) localStorage.setItem(REFRESH_KEY, token);
    else localStorage.removeItem(REFRESH_KEY);
  } catch {
    // Storage disabled: the session lasts as long as this tab.
  }
}

/** Seconds between `iat` and `exp` in the JWT, so the client clock's offset does not matter. */
function tokenLifetimeMs(token: string, fallbackExpiresAt: Date): number {
  try {
    const payload = JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as { iat?: number; exp?: number };
    if (typeof payload.iat === "number" && typeof payload.exp === "number" && payload.exp > payload.iat) {
      return (payload.exp - payload.iat) * 1000;
    }
  } catch {
    // fall through
  }
  return Math.max(0, fallbackExpiresAt.getTime() - Date.now());
}

function acceptTokens(tokens: AuthTokens) {
  const lifetime = tokenLifetimeMs(tokens.accessToken, tokens.accessTokenExpiresAt);
  accessToken = tokens.accessToken;
  accessExpiresAt = Date.now() + lifetime;
  writeRefreshToken(tokens.refreshToken);
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refreshSession(), Math.max(1_000, lifetime * REFRESH_AT));
}

/** After login or register. */
export function signIn(result: AuthTokens & { user: SessionUser }) {
  acceptTokens(result);
  setState({ status: "signedIn", user: result.user, notice: null });
}

/** Forgets the session in this tab (the server side is ended by auth.logout). */
export function signOutLocally(notice: string | null = null) {
  accessToken = null;
  accessExpiresAt = 0;
  clearTimeout(refreshTimer);
  writeRefreshToken(null);
  setState({ status: "signedOut", user: null, notice });
}

/** Current access token, refreshed first if it is about to expire. */
export async function getAccessToken(): Promise<string | null> {
  if (state.status === "signedOut") return null;
  if (!accessToken || accessExpiresAt - Date.now() < MIN_REMAINING_MS) await refreshSession();
  return accessToken;
}

/** Rotates the refresh token for a new access token. Resolves false when the session is gone. */
export function refreshSession(): Promise<boolean> {
  inflight ??= withLock(rotate).finally(() => {
    inflight = null;
  });
  return inflight;
}

async function withLock<T>(task: () => Promise<T>): Promise<T> {
  if (typeof navigator !== "undefined" && navigator.locks) return navigator.locks.request(LOCK_NAME, task);
  return task();
}

async function rotate(): Promise<boolean> {
  const refreshToken = readRefreshToken();
  if (!refreshToken) {
    if (state.status !== "signedOut") signOutLocally("You were signed out.");
    return false;
  }
  try {
    const tokens = await publicClient.auth.refresh.mutate({ refreshToken });
    acceptTokens(tokens);
    return true;
  } catch (error) {
    const code = error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
    if (code === "UNAUTHORIZED" || code === "BAD_REQUEST") {
      signOutLocally(error instanceof Error ? error.message : "Your session ended; sign in again.");
    } else if (state.status === "restoring") {
      // Server unreachable while restoring: keep the refresh token and let the person retry.
      setState({ status: "signedOut", user: null, notice: "Could not reach the server to restore your session." });
    }
    return false;
  }
}

let started = false;

/** Restores a stored session once per page load and follows sign-outs in other tabs. */
export function startSession() {
  if (started) return;
  started = true;
  window.addEventListener("storage", (event) => {
    if (event.key === REFRESH_KEY && event.newValue === null && state.status === "signedIn") {
      signOutLocally("You signed out in another tab.");
    }
  });
  // Timers are throttled in background tabs: catch up when the tab is shown again.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && state.status === "signedIn" && accessExpiresAt - Date.now() < 60_000) {
      void refreshSession();
    }
  });
  if (state.status !== "restoring") return;
  void (async () => {
    if (!(await refreshSession()) || !accessToken) return;
    try {
      const me = await createTRPCClient<AppRouter>({
        links: [httpLink({ url: "/trpc", transformer: superjson, headers: () => ({ authorization: `Bearer ${accessToken}` }) })],
      }).auth.me.query();
      setState({ status: "signedIn", user: me.user, notice: null });
    } catch (error) {
      signOutLocally(error instanceof Error ? error.message : "Could not restore your session.");
    }
  })();
}

/**
 * fetch for the tRPC links: on a 401 to a request that carried an access
 * token, refresh once and replay the request with the new token.
 */
export const authedFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const headers = new Headers(init?.headers);
  if (response.status !== 401 || !headers.has("authorization")) return response;
  if (!(await refreshSession()) || !accessToken) return response;
  headers.set("authorization", `Bearer ${accessToken}`);
  return fetch(input, { ...init, headers });
};
