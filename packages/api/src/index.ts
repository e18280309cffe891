export { appRouter, type AppRouter } from "./root";
export { createRuntime, type Runtime, type Role, type Readiness } from "./runtime";
export type { ServiceDeps } from "./platform/deps";
export { createContextFactory, procedureError, type RequestInfo, type Context } from "./trpc";
export {
  loadConfig,
  ConfigError,
  CONFIG_VARIABLES,
  databasePoolSize,
  findRepoRoot,
  servesHttps,
  type Config,
} from "./config";
export { methodNotAllowed, sendError, sendJson } from "./plain-route";
export { retryAfterSeconds } from "./errors";
export { createLogger, safeErrorMessage, type DestinationStream, type Logger } from "./logger";
export { ManualClock, systemClock, type Clock } from "./clock";
export {
  DOMAIN_EVENT_TYPES,
  type DomainEvent,
  type DomainEventType,
  type EventConsumer,
} from "./platform/events/types";
export { hashPassword } from "./platform/passwords";
export { isPushStream, PUSH } from "./platform/push-stream";
export { handleAnalyticsExport } from "./modules/analytics/export";
export { ANALYTICS_EXPORT_PATH } from "./modules/analytics/link";
export { GDPR_EXPORT_DOWNLOAD_PATH } from "./modules/gdpr/export/download-link";
export { handleGdprExportDownload } from "./modules/gdpr/export/download";
export { CONTACTS_EXPORT_PATH, handleContactsExport } from "./modules/contacts/export";
export {
  IMPORT_REPORT_PATH,
  IMPORT_UPLOAD_PATH,
  handleImportReport,
  handleImportUpload,
} from "./modules/imports/upload";
export { GOOGLE_OAUTH_CALLBACK_PATH, handleGoogleOAuthCallback } from "./modules/gmail/callback";
export { createPrivacyRegistry } from "./modules/index";
export { nodeWebhookSigner } from "./modules/webhooks/delivery";
export { PrivacyRegistry, type PrivacyHandler, type Subject } from "./platform/privacy/registry";
export type { ExportFile } from "./platform/privacy/export-sources";
// For benchmarks: EXPLAIN of the Reconnect statement exactly as the service runs it.
export { useAnalyticalSettings } from "./platform/analytics-sql";
export { reconnectQuery } from "./modules/reconnect/queries";
