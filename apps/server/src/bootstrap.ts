import { ConfigError, createRuntime, loadConfig, type Config, type Runtime } from "@rapport/api";

/** Loads the configuration once; a bad value ends the process with a message naming it. */
export function loadConfigOrExit(overrides: Record<string, string | undefined> = {}): Config {
  try {
    const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
    return loadConfig({ ...process.env, ...given });
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
