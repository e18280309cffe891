import type { DatabaseKind, Db, Tx } from "@rapport/db";
import type { Clock } from "../clock";
import type { Config } from "../config";
import type { CacheManager } from "../infra/cache/manager";
import type { JobQueue } from "../infra/queue";
import type { RateLimiter } from "../infra/rate-limit";
import type { Logger } from "../logger";
import type { CommitNotice } from "./events/types";
import type { PrivacyRegistry } from "./privacy/registry";
import type { ProgressTracker } from "./progress";
import type { RestrictionIndex } from "./privacy/restriction";

/**
 * Every module's services, by name. Each module adds its own entries from its
 * `module.ts` (`declare module "../../platform/deps" { interface Services { … } }`),
 * so nothing here imports a feature module and the composition root is no
 * import cycle; `modules/index.ts` checks that the module list builds exactly these.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging, one module at a time
export interface Services {}

/** The one dependency object every service, consumer and job is built from. */
export interface ServiceDeps {
  config: Config;
  db: Db;
  /** PGlite is one connection: there a transaction must never wait on anything but the database. */
  databaseKind: DatabaseKind;
  clock: Clock;
  log: Logger;
  /** One database transaction; committed events are dispatched right after. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * For single-statement writes outside `transaction`: their events are committed, dispatch
   * them. `commit` names the writing transaction (`pg_current_xact_id()`), which lets the live
   * feed know when it has read them, and its events, which lets the caches drop what they changed.
   */
  eventsCommitted(commit?: CommitNotice): void;
  rateLimiter: RateLimiter;
  queue: JobQueue;
  /** GDPR: every module's export/erase/restrict handlers. */
  privacy: PrivacyRegistry;
  /** Which users and contacts restrict processing (GDPR Art. 18), for the hot read paths. */
  restrictions: RestrictionIndex;
  /** Long jobs publish their progress here; `jobs.get` and `jobs.progress` read it. */
  progress: ProgressTracker;
  /** The shared cache layer (Redis + in-process tier) derived read models are cached on. */
  cache: CacheManager;
  /**
   * The other modules' services. While services are being built only those of modules
   * earlier in the list can be read (reading a later one throws); consumers, listeners,
   * jobs and callbacks run after every service is built.
   */
  services: Services;
}
