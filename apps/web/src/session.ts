import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { useSyncExternalStore } from "react";
import { wireTransformer } from "@rapport/core/wire";
import type { AppRouter } from "@rapport/api";
import type { RouterOutputs } from "./api-types";

/**
 * The signed-in session.
 *
 * - The access token lives only in this module's memory.
 * - The refresh token never reaches JavaScript: every auth call asks for
 *   `refreshTransport: "cookie"`, so the server keeps it in the httpOnly,
 *   SameSite=Strict `rapport_refresh` cookie (Path=/trpc) and returns
 *   `refreshToken: null`. auth.refresh without a token reads and rotates it.
 * - On page load we try auth.refresh once: if the cookie holds a live session,
 *   a reload keeps the person signed in.
 * - Refresh tokens rotate on every use and the server revokes the whole session
 *   when one is replayed. Tabs share the one cookie, so every refresh is
 *   single-flight in this tab and serialized across tabs with a Web Lock.
 * - Sign-outs are broadcast to the other tabs (BroadcastChannel).
 */

export type AuthTokens = RouterOutputs["auth"]["refresh"];
export type SessionUser = RouterOutputs["auth"]["login"]["user"];

export type SessionState =
  | { status: "restoring"; user: null; notice: null }
  | { status: "signedOut"; user: null; notice: string | null; canRetry: boolean }
  | { status: "signedIn"; user: SessionUser; notice: null };

const LOCK_NAME = "rapport.refresh";
const CHANNEL_NAME = "rapport.session";
/** Refresh when this fraction of the access token's life has passed. */
const REFRESH_AT = 0.8;
/** Before a request, refresh first if the token expires sooner than this. */
const MIN_REMAINING_MS = 10_000;
/** After a refresh failed for want of a network, try again this soon. */
const NETWORK_RETRY_MS = 15_000;

/** Auth calls that must never carry (or wait on) an access token. Same-origin fetch sends the cookie. */
const publicClient = createTRPCClient<AppRouter>({
  links: [
    httpLink({
      url: "/trpc",
      transformer: wireTransformer,
      fetch: (input, init) => fetch(input, { ...init, credentials: "same-origin" }),
    }),
  ],
});

let accessToken: string | null = null;
/** Local clock time at which the access token expires (skew-free: from the JWT's own lifetime). */
let accessExpiresAt = 0;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<boolean> | null = null;
let channel: BroadcastChannel | null = null;

let state: SessionState = { status: "restoring", user: null, notice: null };
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function getSession(): SessionState {
  return state;
}

/** The session, re-rendering on change. */
export function useSession(): SessionState {
  return useSyncExternalStore(subscribe, getSession);
}

/** The signed-in user; only call below a signed-in guard. */
export function useCurrentUser(): SessionUser {
  const session = useSession();
  if (session.status !== "signedIn") throw new Error("useCurrentUser needs a signed-in session");
  return session.user;
}

function setState(next: SessionState) {
  state = next;
  for (const listener of listeners) listener();
}

/** Seconds between `iat` and `exp` in the JWT, so the client clock's offset does not matter. */
function tokenLifetimeMs(token: string, fallbackExpiresAt: Date): number {
  try {
    const payload = JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as {
      iat?: number;
      exp?: number;
    };
    if (typeof payload.iat === "number" && typeof payload.exp === "number" && payload.exp > payload.iat) {
      return (payload.exp - payload.iat) * 1000;
    }
  } catch {
    // fall through
  }
  return Math.max(0, fallbackExpiresAt.getTime() - Date.now());
}

function scheduleRefresh(delayMs: number) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refreshSession(), Math.max(1_000, delayMs));
}

function acceptTokens(tokens: Pick<AuthTokens, "accessToken" | "accessTokenExpiresAt">) {
  const lifetime = tokenLifetimeMs(tokens.accessToken, tokens.accessTokenExpiresAt);
  accessToken = tokens.accessToken;
  accessExpiresAt = Date.now() + lifetime;
  scheduleRefresh(lifetime * REFRESH_AT);
}

/** After login or register (called with `refreshTransport: "cookie"`, so no refresh token is here). */
export function signIn(result: Pick<AuthTokens, "accessToken" | "accessTokenExpiresAt"> & { user: SessionUser }) {
  acceptTokens(result);
  setState({ status: "signedIn", user: result.user, notice: null });
  broadcast({ type: "signedIn" });
}

/** The signed-in account as changed in this tab (a new name shows in the top bar at once). */
export function updateSessionUser(user: SessionUser) {
  if (state.status === "signedIn") setState({ status: "signedIn", user, notice: null });
}

function forget() {
  accessToken = null;
  accessExpiresAt = 0;
  clearTimeout(refreshTimer);
}

/** Forgets the session in this tab and tells the other tabs (the server side is ended by auth.logout). */
export function signOutLocally(notice: string | null = null) {
  forget();
  setState({ status: "signedOut", user: null, notice, canRetry: false });
  broadcast({ type: "signedOut" });
}

/** Current access token, refreshed first if it is about to expire. */
export async function getAccessToken(): Promise<string | null> {
  if (inflight) await inflight;
  if (state.status === "signedOut") return null;
  if (!accessToken || accessExpiresAt - Date.now() < MIN_REMAINING_MS) await refreshSession();
  return accessToken;
}

/** Rotates the refresh cookie for a new access token. Resolves false when that failed. */
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

function errorCode(error: unknown): string | undefined {
  return error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
}

async function rotate(): Promise<boolean> {
  if (state.status === "signedOut") return false;
  try {
    const tokens = await publicClient.auth.refresh.mutate({ refreshTransport: "cookie" });
    acceptTokens(tokens);
    return true;
  } catch (error) {
    const code = errorCode(error);
    if (code === "UNAUTHORIZED" || code === "BAD_REQUEST" || code === "FORBIDDEN") {
      const restoring = state.status === "restoring";
      forget();
      // On page load "no session" is the normal signed-out case, not news.
      const notice = restoring ? null : error instanceof Error ? error.message : "Your session ended; sign in again.";
      setState({ status: "signedOut", user: null, notice, canRetry: false });
    } else if (state.status === "restoring") {
      // Server unreachable while restoring: the cookie may still be good, so offer a retry.
      setState({
        status: "signedOut",
        user: null,
        notice: "Could not reach the Rapport server to restore your session.",
        canRetry: true,
      });
    } else {
      // Network blip while signed in: keep the session and try again soon.
      scheduleRefresh(NETWORK_RETRY_MS);
    }
    return false;
  }
}

/** Restores the session from the refresh cookie (page load, "Try again", another tab signed in). */
export async function restoreSession(): Promise<void> {
  if (state.status === "signedIn") return;
  setState({ status: "restoring", user: null, notice: null });
  if (!(await refreshSession()) || !accessToken) return;
  try {
    const token = accessToken;
    const me = await createTRPCClient<AppRouter>({
      links: [
        httpLink({ url: "/trpc", transformer: wireTransformer, headers: () => ({ authorization: `Bearer ${token}` }) }),
      ],
    }).auth.me.query();
    setState({ status: "signedIn", user: me.user, notice: null });
  } catch (error) {
    const network = !(error instanceof TRPCClientError) || !error.data;
    forget();
    setState({
      status: "signedOut",
      user: null,
      notice: network
        ? "Could not reach the Rapport server to restore your session."
        : "Could not restore your session; sign in again.",
      canRetry: network,
    });
  }
}

type SessionMessage = { type: "signedOut" } | { type: "signedIn" };

function broadcast(message: SessionMessage) {
  try {
    channel?.postMessage(message);
  } catch {
    // Channel closed: other tabs find out on their next refresh.
  }
}

let started = false;

/** Restores the session once per page load and follows sign-ins and sign-outs in other tabs. */
export function startSession() {
  if (started) return;
  started = true;
  if (typeof BroadcastChannel !== "undefined") {
    channel = new BroadcastChannel(CHANNEL_NAME);
    channel.onmessage = (event: MessageEvent<SessionMessage>) => {
      if (event.data?.type === "signedOut" && state.status === "signedIn") {
        forget();
        setState({ status: "signedOut", user: null, notice: "You signed out in another tab.", canRetry: false });
      } else if (event.data?.type === "signedIn" && state.status === "signedOut") {
        // Another tab signed in: the shared cookie now holds a session this tab can use.
        void restoreSession();
      }
    };
  }
  // Timers are throttled in background tabs: catch up when the tab is shown again.
  document.addEventListener("visibilitychange", () => {
    if (
      document.visibilityState === "visible" &&
      state.status === "signedIn" &&
      accessExpiresAt - Date.now() < 60_000
    ) {
      void refreshSession();
    }
  });
  window.addEventListener("online", () => {
    if (state.status === "signedOut" && state.canRetry) void restoreSession();
    else if (state.status === "signedIn" && accessExpiresAt - Date.now() < 60_000) void refreshSession();
  });
  void restoreSession();
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
