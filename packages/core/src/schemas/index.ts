/**
 * Input schemas shared by the server (tRPC inputs) and the web app (form
 * validation before sending), so a field's rule and its message are written once.
 * Pure zod: nothing here may reach a database, the network or Node built-ins.
 */
export * from "./analytics";
export * from "./audit";
export * from "./auth";
export * from "./cache";
export * from "./common";
export * from "./contacts";
export * from "./gdpr";
export * from "./interactions";
export * from "./webhooks";
export * from "./workspaces";
export * from "./reconnect";
export * from "./gmail";
export * from "./tasks";
export * from "./imports";
export * from "./duplicates";
export * from "./views";
