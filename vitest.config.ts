import { defineConfig } from "vitest/config";

/**
 * Three projects, all run by `vitest run` (and so by `pnpm test`):
 *
 * - node: domain, database and server suites against the real Postgres, Redis and
 *   HTTP server. Each file clones the migrated template database built by the
 *   global setup and uses its own Redis prefix, so files run in parallel safely.
 * - web:  component tests of the SPA in jsdom; the network is a fake fetch
 *   answering tRPC's HTTP shape (apps/web/test/support/fake-server.ts).
 * - e2e:  the real server in-process serving the built SPA (apps/web/dist, built by
 *   `pnpm test` before Vitest starts) driven by Debian's Chromium via playwright-core.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["packages/*/test/**/*.test.ts", "apps/server/test/**/*.test.ts"],
          globalSetup: ["apps/server/test/support/global-setup.ts"],
          environment: "node",
          pool: "forks",
          testTimeout: 30_000,
          hookTimeout: 60_000,
          fileParallelism: true,
        },
      },
      {
        // JSX in the SPA's .tsx files (tsconfig "jsx": "react-jsx").
        oxc: { jsx: { runtime: "automatic" } },
        test: {
          name: "web",
          root: "apps/web",
          include: ["test/**/*.test.tsx"],
          environment: "jsdom",
          environmentOptions: { jsdom: { url: "http://localhost:3000/" } },
          setupFiles: ["test/support/setup.ts"],
          pool: "forks",
          testTimeout: 15_000,
          // Waits are for the app, not a stopwatch: CI machines under load are slow.
          expect: { poll: { timeout: 10_000 } },
          css: false,
        },
      },
      {
        test: {
          name: "e2e",
          root: ".",
          include: ["apps/web/e2e/**/*.e2e.test.ts"],
          globalSetup: ["apps/server/test/support/global-setup.ts"],
          environment: "node",
          pool: "forks",
          // A browser, the real server and a fresh database per file.
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Waits are for the app, not a stopwatch: CI machines under load are slow.
          expect: { poll: { timeout: 15_000 } },
          fileParallelism: false,
        },
      },
    ],
  },
});
