import { parseArgs } from "node:util";
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

const config = loadConfigOrExit({ ROLE: args.role, PORT: args.port });
const runtime = await startRuntime(config);
const log = runtime.log;
if (config.generatedSecrets.length > 0) {
  log.info({ secrets: config.generatedSecrets, dataDir: config.DATA_DIR }, "using generated secrets (set them in the environment for production)");
}
if (args.demo) await ensureDemoData(runtime);

await runtime.start(config.ROLE);
const http = config.ROLE === "worker" ? null : createRapportServer(runtime);
const address = http ? await http.listen(config.PORT, config.HOST) : null;
const ready = await runtime.readiness();
log.info(
  { role: config.ROLE, url: address?.url, database: runtime.database.location, redis: Boolean(runtime.redis), queue: runtime.queue.driver, status: ready.status },
  "rapport started",
);
if (address) {
  const lines = [`\n  Rapport is running at ${address.url}`];
  if (args.demo) lines.push(`  Demo login: ${DEMO_EMAIL} / ${DEMO_PASSWORD}`);
  if (ready.degraded.length > 0) lines.push(`  Degraded: ${ready.degraded.join("; ")}`);
  if (config.generatedSecrets.length > 0) {
    lines.push(`  Secrets ${config.generatedSecrets.join(", ")} generated into ${config.DATA_DIR}/secrets.json (development only)`);
  }
  process.stdout.write(`${lines.join("\n")}\n\n`);
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "shutting down: draining requests and jobs");
  const hardStop = setTimeout(() => {
    log.error("shutdown took too long; exiting");
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS + 5_000);
  hardStop.unref();
  await http?.close();
  await runtime.close();
  log.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
