import type { AnyRouter } from "@trpc/server";
import type { JobDefinition } from "../infra/queue";
import type { ServiceDeps, Services } from "./deps";
import type { CommitNotice, EventConsumer, EventListener } from "./events/types";
import type { PrivacyHandler } from "./privacy/registry";

/** What a module reacts to: durable outbox consumers and this instance's live bus listeners. */
export interface ModuleEvents {
  /** Run by the dispatcher at least once per committed event, on its transaction (`handle(events, tx)`). */
  consumers?: EventConsumer[];
  /** Run on every instance for every committed event (best effort: in-process caches, indexes). */
  listeners?: EventListener[];
  /**
   * Run on every instance right after any instance commits a write that may have added
   * events: a wake-up for readers that tail the outbox themselves (the live feed) or hold
   * what the events change (the cache), which should not wait for the dispatcher's next pass
   * over its consumers. It carries the committed transaction's id (xid8, decimal) and its
   * events' ids, workspaces and types when the writer knew them (each else null), and, when
   * the writer knew them whole, their actor, payload and time (`detail`), which the live feed
   * hands out at once; a reader without them takes the events from the outbox.
   */
  commitListeners?: ((commit: CommitNotice) => void)[];
  /**
   * Run on every instance when a dispatcher batch's transaction has ended, with its id (xid8,
   * decimal): its cursor update held back the outbox's horizon while it ran, and it wrote no
   * event of its own that a commit wake-up would announce. For readers that wait below the
   * horizon (the live feed).
   */
  batchEndListeners?: ((txId: string) => void)[];
}

export interface ModuleDefinition<
  TRouters extends Record<string, AnyRouter> = Record<string, AnyRouter>,
  TServices extends Partial<Services> = Partial<Services>,
> {
  /** Unique; names the module in logs and errors. */
  name: string;
  /** Mounted on the app router under these keys (the procedure paths). */
  routers: TRouters;
  /** Builds the module's services from the shared dependencies. */
  createServices?(deps: ServiceDeps): TServices;
  /** The module's event consumers and listeners (its `events.ts`). */
  events?(deps: ServiceDeps): ModuleEvents;
  /** The module's queued jobs and schedules (its `jobs.ts`). */
  jobs?(deps: ServiceDeps): JobDefinition[];
  /**
   * Its GDPR handlers for the personal data it stores. Erasure runs handlers in
   * module-list order, so dependent data's module goes before the record it names.
   */
  privacy?: PrivacyHandler[];
}

/** Declares a module; the identity function that keeps its router and service types. */
export function defineModule<
  TRouters extends Record<string, AnyRouter>,
  TServices extends Partial<Services> = Record<never, never>,
>(definition: ModuleDefinition<TRouters, TServices>): ModuleDefinition<TRouters, TServices> {
  return definition;
}
