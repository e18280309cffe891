import {
  createRootRoute,
  createRoute,
  createRouter,
  lazyRouteComponent,
  notFound,
  redirect,
  useParams,
} from "@tanstack/react-router";
import type { ReactNode } from "react";
import { PageError } from "./components/PageError";
import { AnalyticsPage } from "./features/analytics";
import { validateAnalyticsSearch } from "./features/analytics/params";
import { ContactPage, ContactsListPage, DeletedContactsPage } from "./features/contacts";
import { validateContactsSearch } from "./features/contacts/listParams";
import { HomePage, RootLayout, WorkspaceLayout } from "./features/shell/Layout";
import { TodayPage } from "./features/today";
import { NotFoundPage } from "./features/shell/NotFoundPage";
import { useWorkspace } from "./features/shell/workspace";
import { Skeleton } from "./components/Skeleton";

/**
 * The SPA's routes (TanStack Router, code-based). Every URL:
 *
 *   /                                   workspace picker (or the last workspace, or the only one)
 *   /w/:ws                              → /w/:ws/today
 *   /w/:ws/today                        the workspace's home: follow-ups due, Reconnect, activity, health
 *   /w/:ws/tasks                        follow-ups (mine / everyone's; overdue, today, upcoming, completed)
 *   /w/:ws/contacts                     contacts list (?q=&tag=&company=&source=&sort=)
 *   /w/:ws/contacts/deleted             deleted contacts
 *   /w/:ws/contacts/duplicates          likely duplicates: find, dismiss, merge (with preview) and undo
 *   /w/:ws/contacts/:contactId          one contact
 *   /w/:ws/activity                     activity feed
 *   /w/:ws/members                      members
 *   /w/:ws/audit                        audit log (owners/admins)
 *   /w/:ws/cache                        recommendation cache admin (owners/admins)
 *   /w/:ws/analytics                    analytics dashboard (?asOf=YYYY-MM-DD&range=30|90|365&sort=…)
 *   /w/:ws/privacy                      the workspace's data-subject requests (owners/admins)
 *   /w/:ws/integrations                 the member's own Gmail connection
 *   /integrations?workspace=&gmailCode=&gmailState=   where Google's consent returns (completes, then → /w/:ws/integrations)
 *   /w/:ws/webhooks                     outgoing webhook endpoints and their delivery log (owners/admins)
 *   /privacy                            the signed-in person's own privacy page (export, restrict, delete account)
 *   /settings/notifications             which kinds of news notify the signed-in person
 *   /invite#<token>                     answer an invitation to a workspace (the token stays in the fragment)
 *
 * Each page is its own chunk (lazyRouteComponent, or a feature's index.ts wrapper that
 * also prefetches the page's data while its chunk downloads); the first load carries
 * only this tree, the shell and the sign-in form. Query strings are validated per route
 * (validateSearch): a value that is not allowed is dropped, so the page shows its default.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `/w/:ws` opens Today; ids are lower case; no trailing slash. */
function canonicalPath(pathname: string): string {
  let path = pathname.length > 1 ? pathname.replace(/\/+$/, "") || "/" : pathname;
  path = path
    .split("/")
    .map((segment) => (UUID.test(segment) ? segment.toLowerCase() : segment))
    .join("/");
  const workspaceHome = /^\/w\/([^/]+)$/.exec(path);
  if (workspaceHome && UUID.test(workspaceHome[1]!)) path = `${path}/today`;
  return path;
}

// Pages that take the workspace as props (their feature's index.ts prefetches their data).
function ContactsRoute(): ReactNode {
  const workspace = useWorkspace();
  return <ContactsListPage workspaceId={workspace.id} role={workspace.role} />;
}

function DeletedContactsRoute(): ReactNode {
  return <DeletedContactsPage workspaceId={useWorkspace().id} />;
}

function ContactRoute(): ReactNode {
  const workspace = useWorkspace();
  const contactId = useParams({ strict: false }).contactId ?? "";
  return <ContactPage workspaceId={workspace.id} contactId={contactId} role={workspace.role} />;
}

function TodayRoute(): ReactNode {
  return <TodayPage workspaceId={useWorkspace().id} />;
}

function AnalyticsRoute(): ReactNode {
  const workspace = useWorkspace();
  return <AnalyticsPage workspaceId={workspace.id} role={workspace.role} />;
}

const rootRoute = createRootRoute({
  component: RootLayout,
  beforeLoad: ({ location }) => {
    const path = canonicalPath(location.pathname);
    // replace: Back skips the address that was rewritten.
    if (path !== location.pathname)
      throw redirect({
        href: `${path}${location.searchStr}${location.hash ? `#${location.hash}` : ""}`,
        replace: true,
      });
  },
});

const homeRoute = createRoute({ getParentRoute: () => rootRoute, path: "/", component: HomePage });

const myPrivacyRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/privacy",
  component: lazyRouteComponent(() => import("./features/gdpr/PrivacyPage")),
});

const notificationSettingsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/settings/notifications",
  component: lazyRouteComponent(() => import("./features/notifications/NotificationSettingsPage")),
});

const accountRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/settings/account",
  component: lazyRouteComponent(() => import("./features/account/AccountPage")),
});

const completeGmailRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/integrations",
  component: lazyRouteComponent(() => import("./features/integrations/CompleteGmailPage")),
});

const inviteRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/invite",
  component: lazyRouteComponent(() => import("./features/workspaces/InvitePage")),
});

/** The workspace shell: renders its pages only once the workspace exists and the user is a member. */
const workspaceRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/w/$workspaceId",
  beforeLoad: ({ params }) => {
    if (!UUID.test(params.workspaceId)) throw notFound();
  },
  component: WorkspaceLayout,
});

const todayRoute = createRoute({
  getParentRoute: () => workspaceRoute,
  path: "today",
  staticData: { title: "Today" },
  component: TodayRoute,
});

const tasksRoute = createRoute({
  getParentRoute: () => workspaceRoute,
  path: "tasks",
  staticData: { title: "Follow-ups" },
  component: lazyRouteComponent(() => import("./features/tasks/TasksPage")),
});

const contactsRoute = createRoute({
  getParentRoute: () => workspaceRoute,
  path: "contacts",
  staticData: { title: "Contacts" },
  validateSearch: validateContactsSearch,
  component: ContactsRoute,
});

const deletedContactsRoute = createRoute({
  getParentRoute: () => workspaceRoute,
  path: "contacts/deleted",
  staticData: { title: "Deleted contacts" },
  component: DeletedContactsRoute,
});

const duplicatesRoute = createRoute({
  getParentRoute: () => workspaceRoute,
  path: "contacts/duplicates",
  staticData: { title: "Duplicates" },
  component: lazyRouteComponent(() => import("./features/duplicates/DuplicatesPage")),
});

const contactRoute = createRoute({
  getParentRoute: () => workspaceRoute,
  path: "contacts/$contactId",
  staticData: { title: "Contact" },
  beforeLoad: ({ params }) => {
    if (!UUID.test(params.contactId)) throw notFound();
  },
  component: ContactRoute,
});

const activityRoute = createRoute({
  getParentRoute: () => workspaceRoute,
  path: "activity",
  staticData: { title: "Activity" },
  component: lazyRouteComponent(() => import("./features/activity/ActivityPage")),
});

const membersRoute = createRoute({
  getParentRoute: () => workspaceRoute,
  path: "members",
  staticData: { title: "Members" },
  component: lazyRouteComponent(() => import("./features/workspaces/MembersPage")),
});

const auditRoute = createRoute({
  getParentRoute: () => workspaceRoute,
  path: "audit",
  staticData: { title: "Audit log" },
  component: lazyRouteComponent(() => import("./features/audit/AuditPage")),
});

const cacheRoute = createRoute({
  getParentRoute: () => workspaceRoute,
  path: "cache",
  staticData: { title: "Cache" },
  component: lazyRouteComponent(() => import("./features/cache/CachePage")),
});

const analyticsRoute = createRoute({
  getParentRoute: () => workspaceRoute,
  path: "analytics",
  staticData: { title: "Analytics" },
  validateSearch: validateAnalyticsSearch,
  component: AnalyticsRoute,
});

const workspacePrivacyRoute = createRoute({
  getParentRoute: () => workspaceRoute,
  path: "privacy",
  staticData: { title: "Privacy" },
  component: lazyRouteComponent(() => import("./features/gdpr/WorkspacePrivacyPage")),
});

const integrationsRoute = createRoute({
  getParentRoute: () => workspaceRoute,
  path: "integrations",
  staticData: { title: "Integrations" },
  component: lazyRouteComponent(() => import("./features/integrations/IntegrationsPage")),
});

const webhooksRoute = createRoute({
  getParentRoute: () => workspaceRoute,
  path: "webhooks",
  staticData: { title: "Webhooks" },
  component: lazyRouteComponent(() => import("./features/webhooks/WebhooksPage")),
});

const routeTree = rootRoute.addChildren([
  homeRoute,
  myPrivacyRoute,
  notificationSettingsRoute,
  accountRoute,
  inviteRoute,
  completeGmailRoute,
  workspaceRoute.addChildren([
    todayRoute,
    tasksRoute,
    contactsRoute,
    deletedContactsRoute,
    duplicatesRoute,
    contactRoute,
    activityRoute,
    membersRoute,
    auditRoute,
    cacheRoute,
    analyticsRoute,
    workspacePrivacyRoute,
    integrationsRoute,
    webhooksRoute,
  ]),
]);

/** Plain `?a=b&c=d` query strings (the router's default would JSON-encode values and change the URLs). */
function parseSearch(searchStr: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(searchStr));
}

function stringifySearch(search: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(search)) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function createAppRouter() {
  return createRouter({
    routeTree,
    parseSearch,
    stringifySearch,
    // A page's state belongs to its workspace and contact: another one is a fresh page.
    defaultRemountDeps: ({ params }) => params,
    defaultNotFoundComponent: NotFoundPage,
    defaultErrorComponent: PageError,
    defaultOnCatch: (error, info) => console.error("Page failed to render", error, info.componentStack),
    defaultPendingComponent: () => <Skeleton shape="page" rows={6} label="Loading…" />,
  });
}

declare module "@tanstack/react-router" {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
  interface StaticDataRouteOption {
    /** The page's name in document.title ("Members · Acme · Rapport"). */
    title?: string;
  }
}
