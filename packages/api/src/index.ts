export { appRouter, type AppRouter } from "./root";
export { createRuntime, type Runtime, type Role, type Readiness, type ServiceDeps } from "./runtime";
export { createContextFactory, type RequestInfo, type Context } from "./trpc";
export { loadConfig, ConfigError, findRepoRoot, type Config } from "./config";
export { createLogger, type Logger } from "./logger";
export { ManualClock, systemClock, type Clock } from "./clock";
export { DOMAIN_EVENT_TYPES, type DomainEvent, type DomainEventType, type EventConsumer } from "./events/types";
export { hashPassword } from "./modules/auth/passwords";
export { ANALYTICS_EXPORT_PATH, handleAnalyticsExport } from "./modules/analytics/export";
