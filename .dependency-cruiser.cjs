/**
 * Dependency rules CI enforces (`pnpm depcheck`, run by `pnpm test`); docs/architecture.md explains the layers.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const API = "^packages/api/src/";
const MODULES = `${API}modules/`;

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycles, type-only and import() included: a cycle makes load order and ownership unclear.",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-feature-module-internals",
      severity: "error",
      comment:
        "A feature module uses another module only through that module's public.ts (its service type, the few queries it publishes) " +
        "or an event; everything every module needs lives in platform/. The module list (modules/index.ts) is the one composition point.",
      from: { path: `${MODULES}([^/]+)/`, pathNot: [`${MODULES}index\\.ts$`] },
      to: {
        path: `${MODULES}[^/]+/`,
        pathNot: [`${MODULES}$1/`, `${MODULES}[^/]+/public\\.ts$`],
      },
    },
    {
      name: "platform-not-on-modules",
      severity: "error",
      comment:
        "platform/ and infra/ are what modules build on: they never import a feature module or the composition root (runtime, root router, tRPC setup).",
      from: { path: `${API}(platform|infra|lib)/` },
      to: { path: [`${MODULES}`, `${API}(runtime|root|trpc|plain-route)\\.ts$`] },
    },
    {
      name: "core-no-io",
      severity: "error",
      comment:
        "packages/core is pure domain logic: no file system, network, processes, database or Redis, and no other workspace package.",
      from: { path: "^packages/core/" },
      to: {
        path: [
          "^(node:)?(fs|fs/promises|net|http|https|http2|dgram|dns|tls|child_process|cluster|worker_threads|inspector|readline|repl|vm)$",
          "node_modules/(pg|postgres|ioredis|redis|bullmq|drizzle-orm|@electric-sql|@node-rs|pino|jszip|exceljs)/",
          "^packages/(db|api|client)/",
          "^apps/",
        ],
      },
    },
    {
      name: "packages-not-on-apps",
      severity: "error",
      comment: "Layers point down: core <- db <- api <- apps.",
      from: { path: "^packages/" },
      to: { path: "^apps/" },
    },
    {
      name: "db-not-on-api",
      severity: "error",
      from: { path: "^packages/db/" },
      to: { path: "^packages/(api|client)/" },
    },
    {
      name: "web-and-client-use-api-types-only",
      severity: "error",
      comment:
        "The browser bundle and the client SDK take the server's types (AppRouter), never its code; apps/server runs it.",
      from: { path: ["^apps/web/src/", "^packages/client/src/"] },
      to: { path: "^packages/(api|db)/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.base.json" },
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
      extensions: [".ts", ".tsx", ".d.ts", ".js", ".mjs", ".cjs", ".json"],
    },
    cache: false,
  },
};
