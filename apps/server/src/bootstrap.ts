import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { ConfigError, createRuntime, findRepoRoot, loadConfig, type Config, type Runtime } from "@rapport/api";

/** Values from the repo's `.env`, for variables the environment does not already set. */
function dotenvDefaults(): Record<string, string> {
  const file = join(findRepoRoot(), ".env");
  if (!existsSync(file)) return {};
  return parseEnv(readFileSync(file, "utf8")) as Record<string, string>;
}

/**
 * The process arguments, without a lone leading `--`: pnpm 10 passes the `--` of
 * `pnpm --filter @rapport/server start -- --role api` through, and parseArgs would
 * otherwise take every option after it for a positional argument.
 */
export function commandLineArgs(argv: readonly string[] = process.argv.slice(2)): string[] {
  return argv[0] === "--" ? argv.slice(1) : [...argv];
}

/** Loads the configuration once; a bad value ends the process with a message naming it. */
export function loadConfigOrExit(overrides: Record<string, string | undefined> = {}): Config {
  try {
    const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
    return loadConfig({ ...dotenvDefaults(), ...process.env, ...given });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every variable.\n`);
      process.exit(1);
    }
    throw error;
  }
}

export async function startRuntime(config: Config, options: { migrate?: boolean } = {}): Promise<Runtime> {
  return createRuntime(config, { migrate: options.migrate ?? true });
}
