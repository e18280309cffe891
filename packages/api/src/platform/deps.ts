import type { DatabaseKind, Db, Tx } from "@rapport/db";
import type { Clock } from "../clock";
import type { Config } from "../config";
import type { JobQueue } from "../infra/queue";
import type { RateLimiter } from "../infra/rate-limit";
import type { Logger } from "../logger";
import type { PrivacyRegistry } from "./privacy/registry";
import type { RestrictionIndex } from "./privacy/restriction";

/** What every service is built from. */
export interface ServiceDeps {
  config: Config;
  db: Db;
  /** PGlite is one connection: there a transaction must never wait on anything but the database. */
  databaseKind: DatabaseKind;
  clock: Clock;
  log: Logger;
  /** One database transaction; committed events are dispatched right after. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** For single-statement writes outside `transaction`: their events are committed, dispatch them. */
  eventsCommitted(): void;
  rateLimiter: RateLimiter;
  queue: JobQueue;
  /** GDPR: every module's export/erase/restrict handlers. */
  privacy: PrivacyRegistry;
  /** Which users and contacts restrict processing (GDPR Art. 18), for the hot read paths. */
  restrictions: RestrictionIndex;
}
