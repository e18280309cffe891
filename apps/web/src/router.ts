import { useSyncExternalStore } from "react";

/** A tiny History API router: `/` and `/w/:workspaceId`. */
export type Route = { page: "home" } | { page: "workspace"; workspaceId: string };

const NAVIGATE = "rapport:navigate";

function subscribe(listener: () => void) {
  window.addEventListener("popstate", listener);
  window.addEventListener(NAVIGATE, listener);
  return () => {
    window.removeEventListener("popstate", listener);
    window.removeEventListener(NAVIGATE, listener);
  };
}

export function navigate(path: string) {
  if (path === window.location.pathname) return;
  window.history.pushState(null, "", path);
  window.dispatchEvent(new Event(NAVIGATE));
}

export function parseRoute(pathname: string): Route {
  const match = /^\/w\/([0-9a-f-]{36})\/?$/i.exec(pathname);
  return match ? { page: "workspace", workspaceId: match[1]!.toLowerCase() } : { page: "home" };
}

export function useRoute(): Route {
  const pathname = useSyncExternalStore(subscribe, () => window.location.pathname);
  return parseRoute(pathname);
}
