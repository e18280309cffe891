import { execFile, execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./ports";

const run = promisify(execFile);

/** Debian's PostgreSQL 15 binaries; PG_BIN overrides (e.g. another version or distribution). */
const PG_BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";
/** initdb and postgres refuse to run as root: as root, run them as this user instead. */
const PG_OS_USER = process.env.PG_OS_USER ?? "postgres";

/**
 * A throwaway PostgreSQL cluster of its own (data directory in a temp dir, its own port),
 * for fault tests that stop or restart the database. The shared test server is never touched.
 */
export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** The postmaster's process id (its pid file's first line), whose children are the backends and the server's own processes. */
  postmasterPid(): number;
  /** `pg_ctl restart -m fast`: disconnects every client, returns once the server accepts again. */
  restart(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>;
  /** The same, synchronously: for a process's "exit" handler (Ctrl-C), where nothing async runs. */
  destroySync(): void;
}

export interface PostgresClusterOptions {
  /**
   * fsync on, as the shared server runs: for figures (benchmarks) rather than fault tests,
   * which skip it to restart fast.
   */
  durable?: boolean;
  /** More server settings (`-c name=value`), e.g. track_commit_timestamp=on. */
  settings?: Record<string, string>;
  /** max_connections (default 50). */
  maxConnections?: number;
}

export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const dir = mkdtempSync(join(tmpdir(), "rapport-pg-"));
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run("id", ["-u", PG_OS_USER]);
    const { stdout: gid } = await run("id", ["-g", PG_OS_USER]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pg = (binary: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", PG_OS_USER, "--", join(PG_BIN, binary), ...args]) : run(join(PG_BIN, binary), args);

  const data = join(dir, "data");
  const port = await freePort();
  await pg("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "--no-instructions"]);
  // The socket goes into the temp dir (not /var/run/postgresql); fsync off unless durable: a
  // fast restart is a clean shutdown, and durability across power loss is not what these tests probe.
  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    fsync: options.durable ? "on" : "off",
    max_connections: String(options.maxConnections ?? 50),
    ...options.settings,
  };
  const serverOptions = [`-p ${port}`, `-k ${dir}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(
    " ",
  );
  const ctl = (...args: string[]) =>
    pg("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-o", serverOptions, "-w", "-t", "60", ...args]);
  await ctl("start");

  let destroyed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    postmasterPid() {
      return Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n", 1)[0]);
    },
    async restart() {
      await ctl("restart", "-m", "fast");
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await ctl("stop", "-m", "immediate").catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
    destroySync() {
      if (destroyed) return;
      destroyed = true;
      const args = ["-D", data, "-w", "stop", "-m", "immediate"];
      try {
        if (asRoot) execFileSync("runuser", ["-u", PG_OS_USER, "--", join(PG_BIN, "pg_ctl"), ...args]);
        else execFileSync(join(PG_BIN, "pg_ctl"), args);
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
