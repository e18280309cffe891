import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { commandLineArgs, loadConfigOrExit, startRuntime } from "./bootstrap";
import { DEMO_EMAIL, DEMO_PASSWORD, ensureDemoData } from "./demo";
import { createRapportServer } from "./http";

const { values: args } = parseArgs({
  args: commandLineArgs(),
  options: {
    role: { type: "string" },
    port: { type: "string" },
    demo: { type: "boolean", default: false },
  },
});

let config = loadConfigOrExit({ ROLE: args.role, PORT: args.port });
// The demo without Google credentials gets a labelled local stand-in for Google, from its own
// file (dist/demo-google.js when built) so that the server's bundle never carries the fake.
let demoGoogleUrl: string | null = null;
if (args.demo && !config.GOOGLE_CLIENT_ID) {
  const entry = import.meta.url.endsWith(".ts") ? "./demo-google.ts" : "./demo-google.js";
  const { startDemoGoogle } = (await import(entry)) as typeof import("./demo-google");
  const demoGoogle = await startDemoGoogle();
  demoGoogleUrl = demoGoogle.url;
  config = loadConfigOrExit({ ROLE: args.role, PORT: args.port, ...demoGoogle.env });
}
// Every role allocates fast and keeps little (a 100,000-row import holds ~70 MB live; an API
// instance under 100 writes/s and 500 live streams ~55 MB), and under load some of that
// short-lived garbage outlives two scavenges and is promoted (an API instance: ~3 MB/s).
// V8's default lets the old generation grow to up to four times its live size before a full
// collection: ~200 MB of garbage held as resident memory, and a full collection that may not
// come for minutes. Growing by half instead costs a full collection every few seconds of a
// job, every ~12 s for that API instance (10–34 ms pauses, mostly incremental; its event-loop
// delay p99 was unchanged in bench:realtime), and keeps the process near its live size.
setFlagsFromString("--heap-growing-percent=50");
const runtime = await startRuntime(config);
const log = runtime.log;
if (config.generatedSecrets.length > 0) {
  log.info(
    { secrets: config.generatedSecrets, dataDir: config.DATA_DIR },
    "using generated secrets (set them in the environment for production)",
  );
}
if (args.demo) await ensureDemoData(runtime);

await runtime.start(config.ROLE);
const http = config.ROLE === "worker" ? null : createRapportServer(runtime);
const address = http ? await http.listen(config.PORT, config.HOST) : null;
const ready = await runtime.readiness();
log.info(
  {
    role: config.ROLE,
    url: address?.url,
    database: runtime.database.location,
    redis: Boolean(runtime.redis),
    queue: runtime.queue.driver,
    status: ready.status,
  },
  "rapport started",
);
if (address) {
  const lines = [`\n  Rapport is running at ${address.url}`];
  if (args.demo) lines.push(`  Demo login: ${DEMO_EMAIL} / ${DEMO_PASSWORD}`);
  if (demoGoogleUrl)
    lines.push(`  Demo Google (a local stand-in, not Google) at ${demoGoogleUrl}: Integrations → Connect Gmail`);
  if (ready.degraded.length > 0) lines.push(`  Degraded: ${ready.degraded.join("; ")}`);
  if (config.generatedSecrets.length > 0) {
    lines.push(
      `  Secrets ${config.generatedSecrets.join(", ")} generated into ${config.DATA_DIR}/secrets.json (development only)`,
    );
  }
  // The log's lines so far first (they are written in batches): the banner comes after them.
  log.flush();
  process.stdout.write(`${lines.join("\n")}\n\n`);
}

let stopping = false;
async function shutdown(reason: string, exitCode = 0) {
  if (stopping) return;
  stopping = true;
  log.info({ reason }, "shutting down: draining requests and jobs");
  const hardStop = setTimeout(() => {
    log.error("shutdown took too long; exiting");
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS + 5_000);
  hardStop.unref();
  await http?.close();
  await runtime.close();
  log.info("stopped");
  process.exit(exitCode);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
// A rejection nobody handled is a bug to fix, but the request it belonged to has already
// failed; every other request and job is fine, so the server keeps serving.
process.on("unhandledRejection", (reason) => {
  log.error({ err: reason }, "unhandled promise rejection (the server keeps serving)");
});
// After an uncaught exception the process state is unknown: finish what is in flight and
// exit non-zero so the supervisor starts a clean process.
process.on("uncaughtException", (error) => {
  log.fatal({ err: error }, "uncaught exception: draining, then exiting");
  void shutdown("uncaughtException", 1);
});
