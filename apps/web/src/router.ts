import { createElement, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from "react";

/**
 * A tiny History API router.
 *
 *   /                                   workspace picker (or the last workspace)
 *   /w/:ws                              → /w/:ws/contacts
 *   /w/:ws/contacts                     contacts list
 *   /w/:ws/contacts/deleted             deleted contacts
 *   /w/:ws/contacts/:contactId          one contact
 *   /w/:ws/activity                     activity feed
 *   /w/:ws/members                      members
 *   /w/:ws/audit                        audit log (owners/admins)
 *   /w/:ws/cache                        recommendation cache admin (owners/admins)
 *   /w/:ws/analytics                    analytics dashboard (?asOf=YYYY-MM-DD&range=30|90|365&sort=…)
 *   /w/:ws/privacy                      the workspace's data-subject requests (owners/admins)
 *   /privacy                            the signed-in person's own privacy page (export, restrict, delete account)
 *   /invite#<token>                     answer an invitation to a workspace (the token stays in the fragment)
 */
type WorkspaceSection =
  | "contacts"
  | "deletedContacts"
  | "contact"
  | "activity"
  | "members"
  | "audit"
  | "analytics"
  | "cache"
  | "privacy";

export type Route =
  | { page: "home" }
  | { page: "notFound" }
  | { page: "myPrivacy" }
  | { page: "invite" }
  | { page: Exclude<WorkspaceSection, "contact">; workspaceId: string }
  | { page: "contact"; workspaceId: string; contactId: string };

export type WorkspaceRoute = Extract<Route, { workspaceId: string }>;

const NAVIGATE = "rapport:navigate";
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const WORKSPACE_PATH = new RegExp(`^/w/(${UUID})(?:/(.*?))?/?$`, "i");
const CONTACT_PATH = new RegExp(`^contacts/(${UUID})$`, "i");

/** Paths to link to; pages should build hrefs with these, not by hand. */
export const paths = {
  home: () => "/",
  contacts: (workspaceId: string) => `/w/${workspaceId}/contacts`,
  deletedContacts: (workspaceId: string) => `/w/${workspaceId}/contacts/deleted`,
  contact: (workspaceId: string, contactId: string) => `/w/${workspaceId}/contacts/${contactId}`,
  activity: (workspaceId: string) => `/w/${workspaceId}/activity`,
  members: (workspaceId: string) => `/w/${workspaceId}/members`,
  audit: (workspaceId: string) => `/w/${workspaceId}/audit`,
  cache: (workspaceId: string) => `/w/${workspaceId}/cache`,
  analytics: (workspaceId: string) => `/w/${workspaceId}/analytics`,
  privacy: (workspaceId: string) => `/w/${workspaceId}/privacy`,
  myPrivacy: () => "/privacy",
  invite: () => "/invite",
};

/** How the current location was reached: focus moves to the new page only after push/pop, not after redirects. */
let lastNavigation: "initial" | "push" | "replace" | "pop" = "initial";
if (typeof window !== "undefined") window.addEventListener("popstate", () => (lastNavigation = "pop"));

export function lastNavigationKind() {
  return lastNavigation;
}

function subscribe(listener: () => void) {
  window.addEventListener("popstate", listener);
  window.addEventListener(NAVIGATE, listener);
  return () => {
    window.removeEventListener("popstate", listener);
    window.removeEventListener(NAVIGATE, listener);
  };
}

function currentLocation() {
  return window.location.pathname + window.location.search;
}

/** Goes to `path` (may carry a query string). `replace` for redirects, so Back skips them. */
export function navigate(path: string, { replace = false }: { replace?: boolean } = {}) {
  if (path === currentLocation()) return;
  lastNavigation = replace ? "replace" : "push";
  if (replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  window.dispatchEvent(new Event(NAVIGATE));
}

function parseRoute(pathname: string): Route {
  if (pathname === "/" || pathname === "") return { page: "home" };
  if (pathname === "/privacy" || pathname === "/privacy/") return { page: "myPrivacy" };
  if (pathname === "/invite" || pathname === "/invite/") return { page: "invite" };
  const match = WORKSPACE_PATH.exec(pathname);
  if (!match) return { page: "notFound" };
  const workspaceId = match[1]!.toLowerCase();
  const rest = match[2] ?? "";
  switch (rest) {
    case "":
    case "contacts":
      return { page: "contacts", workspaceId };
    case "contacts/deleted":
      return { page: "deletedContacts", workspaceId };
    case "activity":
      return { page: "activity", workspaceId };
    case "members":
      return { page: "members", workspaceId };
    case "audit":
      return { page: "audit", workspaceId };
    case "cache":
      return { page: "cache", workspaceId };
    case "analytics":
      return { page: "analytics", workspaceId };
    case "privacy":
      return { page: "privacy", workspaceId };
  }
  const contact = CONTACT_PATH.exec(rest);
  if (contact) return { page: "contact", workspaceId, contactId: contact[1]!.toLowerCase() };
  return { page: "notFound" };
}

/** Canonical path of a route (`/w/:ws` becomes `/w/:ws/contacts`). */
export function pathOf(route: Route): string {
  switch (route.page) {
    case "home":
    case "notFound":
      return "/";
    case "myPrivacy":
      return paths.myPrivacy();
    case "invite":
      return paths.invite();
    case "contact":
      return paths.contact(route.workspaceId, route.contactId);
    default:
      return paths[route.page](route.workspaceId);
  }
}

function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

export function useRoute(): Route {
  return parseRoute(usePathname());
}

/** The current query string as URLSearchParams (re-renders on navigation). */
export function useSearchParams(): URLSearchParams {
  const search = useSyncExternalStore(subscribe, () => window.location.search);
  return new URLSearchParams(search);
}

/** True for clicks the browser should handle itself (new tab, download, …). */
function isModifiedClick(event: MouseEvent<HTMLAnchorElement>): boolean {
  return (
    event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || event.defaultPrevented
  );
}

export interface LinkProps extends AnchorHTMLAttributes<HTMLAnchorElement> {
  href: string;
  /** Marks the link aria-current="page" when it points at the current path. */
  current?: boolean;
}

/** An <a> that navigates in-app on a plain click and behaves normally otherwise. */
export function Link({ href, current, onClick, ...rest }: LinkProps) {
  return createElement("a", {
    ...rest,
    href,
    "aria-current": current ? "page" : undefined,
    onClick: (event: MouseEvent<HTMLAnchorElement>) => {
      onClick?.(event);
      if (isModifiedClick(event) || rest.target === "_blank") return;
      event.preventDefault();
      navigate(href);
    },
  });
}
