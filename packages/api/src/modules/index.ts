import type { Services } from "../platform/deps";
import type { ModuleDefinition } from "../platform/module";
import { activityModule } from "./activity/module";
import { analyticsModule } from "./analytics/module";
import { auditModule } from "./audit/module";
import { authModule } from "./auth/module";
import { cacheModule } from "./cache/module";
import { contactsModule } from "./contacts/module";
import { duplicatesModule } from "./duplicates/module";
import { gdprModule } from "./gdpr/module";
import { gmailModule } from "./gmail/module";
import { importsModule } from "./imports/module";
import { interactionsModule } from "./interactions/module";
import { jobsModule } from "./jobs/module";
import { notificationsModule } from "./notifications/module";
import { PrivacyRegistry } from "../platform/privacy/registry";
import { recommendationsModule } from "./recommendations/module";
import { reconnectModule } from "./reconnect/module";
import { searchModule } from "./search/module";
import { systemModule } from "./system/module";
import { tasksModule } from "./tasks/module";
import { viewsModule } from "./views/module";
import { webhooksModule } from "./webhooks/module";
import { workspacesModule } from "./workspaces/module";

/**
 * Every module of the API. The app router, the services, the event consumers and
 * listeners, the queue's jobs and the GDPR privacy registry are all built from this
 * list: adding a module is its folder and one line here.
 *
 * Order matters twice. Services are built in this order, so a module whose
 * constructors take another module's service comes after it. GDPR erasure runs the
 * privacy handlers in this order, so dependent data's module comes before the record
 * it names (interactions before contacts, invitations before auth).
 */
export const appModules = [
  interactionsModule,
  contactsModule,
  importsModule,
  viewsModule,
  // After contacts: its merge records go with the kept contact (foreign key) or by the merged id.
  duplicatesModule,
  gmailModule,
  workspacesModule,
  analyticsModule,
  activityModule,
  notificationsModule,
  auditModule,
  authModule,
  gdprModule,
  recommendationsModule,
  reconnectModule,
  tasksModule,
  searchModule,
  cacheModule,
  systemModule,
  webhooksModule,
  jobsModule,
] as const;

type UnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void
  ? I
  : never;
type Flatten<T> = { [K in keyof T]: T[K] };

type AppModule = (typeof appModules)[number];
/** Every module's routers, by the key each is mounted under. */
export type AppRouters = Flatten<UnionToIntersection<AppModule["routers"]>>;
type BuiltServices = UnionToIntersection<ReturnType<NonNullable<AppModule["createServices"]>>>;

// Compile-time check: the list builds exactly the services the modules declare.
true satisfies [keyof BuiltServices] extends [keyof Services]
  ? [keyof Services] extends [keyof BuiltServices]
    ? true
    : false
  : false;

/** The routers of every module, merged; a key mounted twice is a mistake, not an override. */
export function appRouters(modules: readonly ModuleDefinition[] = appModules): AppRouters {
  const merged: Record<string, unknown> = {};
  for (const module of modules) {
    for (const [key, router] of Object.entries(module.routers)) {
      if (key in merged) throw new Error(`Router key "${key}" of module ${module.name} is already mounted`);
      merged[key] = router;
    }
  }
  return merged as AppRouters;
}

/** Every module's GDPR handlers, in module-list order. */
export function createPrivacyRegistry(modules: readonly ModuleDefinition[] = appModules): PrivacyRegistry {
  const registry = new PrivacyRegistry();
  for (const module of modules) for (const handler of module.privacy ?? []) registry.register(handler);
  return registry;
}
