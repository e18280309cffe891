/**
 * The configuration a user gets without reading anything: safe defaults outside
 * production (loopback, generated secrets kept in DATA_DIR), refusals of the
 * published development secrets everywhere, and a docker-compose.yml whose every
 * service starts with the environment it passes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, posix, relative, resolve } from "node:path";
import { CONFIG_VARIABLES, ConfigError, databasePoolSize, findRepoRoot, loadConfig } from "@rapport/api";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = findRepoRoot();
const PUBLISHED = [
  "rapport-development-secret-do-not-use-in-production",
  "rapport-dev-suppression-key-do-not-use-in-production",
];
const strongSecret = () => `s${Math.random().toString(36).slice(2)}`.padEnd(40, "x");

const tempDirs: string[] = [];
function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "rapport-config-"));
  tempDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("defaults outside production", () => {
  it("listens on loopback unless production (or HOST) says otherwise", () => {
    const dataDir = tempDataDir();
    expect(loadConfig({ DATA_DIR: dataDir }).HOST).toBe("127.0.0.1");
    expect(loadConfig({ NODE_ENV: "test", DATA_DIR: dataDir }).HOST).toBe("127.0.0.1");
    expect(
      loadConfig({ NODE_ENV: "production", JWT_SECRET: strongSecret(), GDPR_SUPPRESSION_KEY: strongSecret() }).HOST,
    ).toBe("0.0.0.0");
    expect(loadConfig({ DATA_DIR: dataDir, HOST: "0.0.0.0" }).HOST).toBe("0.0.0.0");
  });

  it("sizes the database pool by role: the API from the CPU count (at most 10), the roles running jobs 10; DATABASE_POOL_SIZE wins", () => {
    const dataDir = tempDataDir();
    expect([1, 2, 3, 4, 16].map((cpus) => databasePoolSize("api", cpus))).toEqual([3, 5, 7, 9, 10]);
    expect([1, 2, 16].map((cpus) => databasePoolSize("worker", cpus))).toEqual([10, 10, 10]);
    expect([1, 2, 16].map((cpus) => databasePoolSize("all", cpus))).toEqual([10, 10, 10]);
    const poolOf = (env: Record<string, string>) => loadConfig({ DATA_DIR: dataDir, ...env }).DATABASE_POOL_SIZE;
    expect(poolOf({ ROLE: "api" })).toBe(Math.min(10, availableParallelism() * 2 + 1));
    expect(poolOf({ ROLE: "worker" })).toBe(10);
    expect(poolOf({})).toBe(10);
    expect(poolOf({ ROLE: "api", DATABASE_POOL_SIZE: "12" })).toBe(12);
    expect(poolOf({ ROLE: "worker", DATABASE_POOL_SIZE: "3" })).toBe(3);
    // An empty value (as .env.example leaves it) is unset.
    expect(poolOf({ ROLE: "worker", DATABASE_POOL_SIZE: "" })).toBe(10);
  });

  it("generates the secrets on first start into DATA_DIR/secrets.json (owner-only) and keeps them across restarts", () => {
    const dataDir = tempDataDir();
    const first = loadConfig({ DATA_DIR: dataDir });
    expect(first.generatedSecrets).toEqual(["JWT_SECRET", "GDPR_SUPPRESSION_KEY"]);
    expect(PUBLISHED).not.toContain(first.JWT_SECRET);
    expect(first.JWT_SECRET).toMatch(/^[0-9a-f]{64}$/);
    expect(first.GDPR_SUPPRESSION_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(first.JWT_SECRET).not.toBe(first.GDPR_SUPPRESSION_KEY);

    const file = join(dataDir, "secrets.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
      JWT_SECRET: first.JWT_SECRET,
      GDPR_SUPPRESSION_KEY: first.GDPR_SUPPRESSION_KEY,
    });

    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second.JWT_SECRET).toBe(first.JWT_SECRET);
    expect(second.GDPR_SUPPRESSION_KEY).toBe(first.GDPR_SUPPRESSION_KEY);
    // Local state lives under DATA_DIR unless placed elsewhere.
    expect(second.PGLITE_DIR).toBe(join(dataDir, "pglite"));
    expect(second.EXPORT_DIR).toBe(join(dataDir, "exports"));
  });

  it("uses the environment's secrets when given and generates only the missing one", () => {
    const dataDir = tempDataDir();
    const jwt = strongSecret();
    const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: jwt });
    expect(config.JWT_SECRET).toBe(jwt);
    expect(config.generatedSecrets).toEqual(["GDPR_SUPPRESSION_KEY"]);
    expect(Object.keys(JSON.parse(readFileSync(join(dataDir, "secrets.json"), "utf8")))).toEqual([
      "GDPR_SUPPRESSION_KEY",
    ]);
  });

  it("tests get fresh secrets per process and write nothing", () => {
    const dataDir = tempDataDir();
    const a = loadConfig({ NODE_ENV: "test", DATA_DIR: dataDir });
    const b = loadConfig({ NODE_ENV: "test", DATA_DIR: dataDir });
    expect(a.JWT_SECRET).not.toBe(b.JWT_SECRET);
    expect(() => statSync(join(dataDir, "secrets.json"))).toThrow();
  });
});

describe("refusals", () => {
  it.each(["development", "test", "production"])("refuses the published development secrets in %s", (mode) => {
    const problems = problemsOf({
      NODE_ENV: mode,
      DATA_DIR: tempDataDir(),
      JWT_SECRET: PUBLISHED[0],
      GDPR_SUPPRESSION_KEY: PUBLISHED[1],
    });
    expect(problems).toContainEqual(expect.stringMatching(/^JWT_SECRET: is a published development value/));
    expect(problems).toContainEqual(expect.stringMatching(/^GDPR_SUPPRESSION_KEY: is a published development value/));
  });

  it("reads the webhook allow-lists and refuses a range that is not one", () => {
    const config = loadConfig({
      NODE_ENV: "test",
      WEBHOOK_ALLOWED_CIDRS: "10.20.0.0/16, fd00::/8,127.0.0.1",
      WEBHOOK_PLAIN_HTTP_HOSTS: "Receiver.Local, 127.0.0.1",
    });
    expect(config.WEBHOOK_ALLOWED_CIDRS).toEqual(["10.20.0.0/16", "fd00::/8", "127.0.0.1"]);
    expect(config.WEBHOOK_PLAIN_HTTP_HOSTS).toEqual(["receiver.local", "127.0.0.1"]);
    expect(loadConfig({ NODE_ENV: "test" }).WEBHOOK_ALLOWED_CIDRS).toEqual([]);
    expect(problemsOf({ NODE_ENV: "test", WEBHOOK_ALLOWED_CIDRS: "10.0.0.0/33" })).toEqual([
      'WEBHOOK_ALLOWED_CIDRS: "10.0.0.0/33" is not an IP address or CIDR range',
    ]);
    expect(problemsOf({ NODE_ENV: "test", WEBHOOK_ALLOWED_CIDRS: "intranet" })).toEqual([
      'WEBHOOK_ALLOWED_CIDRS: "intranet" is not an IP address or CIDR range',
    ]);
  });

  it("production refuses missing secrets and generates none", () => {
    const dataDir = tempDataDir();
    const problems = problemsOf({ NODE_ENV: "production", DATA_DIR: dataDir });
    expect(problems).toContain("JWT_SECRET: is required in production");
    expect(problems).toContain("GDPR_SUPPRESSION_KEY: is required in production");
    expect(() => statSync(join(dataDir, "secrets.json"))).toThrow();
  });
});

/** docker compose's variable interpolation: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}. */
function interpolate(value: string, shell: Record<string, string | undefined>): string {
  return value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g,
    (_, name: string, colon: string, op: string | undefined, arg: string) => {
      const set = shell[name];
      const missing = set === undefined || (colon === ":" && set === "");
      if (op === "?" && missing) throw new Error(`compose refuses to start: ${name}: ${arg}`);
      if (op === "-" && missing) return arg;
      return set ?? "";
    },
  );
}

/** The ENV instructions of the Dockerfile, the base environment of every container of the image. */
function imageEnvironment(): Record<string, string> {
  const text = readFileSync(join(ROOT, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("ENV ")) continue;
    for (const [, key, value] of line.slice(4).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) env[key!] = value!;
  }
  return env;
}

/** Each service of the image: its name, the environment it starts with and its volumes (`source:target`). */
function composeAppServices(
  shell: Record<string, string | undefined>,
): Array<[string, Record<string, string>, string[]]> {
  const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as {
    services: Record<
      string,
      {
        image?: string;
        build?: unknown;
        environment?: Record<string, string | number | boolean | null>;
        volumes?: string[];
      }
    >;
  };
  const base = imageEnvironment();
  return Object.entries(compose.services)
    .filter(([, service]) => service.build !== undefined || service.image?.startsWith("rapport"))
    .map(([name, service]) => {
      const env: Record<string, string> = { ...base };
      for (const [key, value] of Object.entries(service.environment ?? {}))
        env[key] = interpolate(String(value ?? ""), shell);
      return [name, env, service.volumes ?? []];
    });
}

/** The directory the image's server runs in (the last WORKDIR), which its relative paths start from. */
function imageWorkdir(): string {
  const workdirs = [...readFileSync(join(ROOT, "Dockerfile"), "utf8").matchAll(/^WORKDIR\s+(\S+)/gm)];
  return workdirs.at(-1)![1]!;
}

describe("docker-compose.yml", () => {
  const shell = { JWT_SECRET: strongSecret(), GDPR_SUPPRESSION_KEY: strongSecret() };

  it("every service of the image starts with the environment compose gives it", () => {
    const services = composeAppServices(shell);
    expect(services.map(([name]) => name).sort()).toEqual(["api", "worker"]);
    for (const [name, env] of services) {
      const unknown = Object.keys(env).filter(
        (key) => !CONFIG_VARIABLES.includes(key) && !["CI", "npm_config_update_notifier"].includes(key),
      );
      expect(unknown, `${name}: variables the server does not read`).toEqual([]);
      expect(problemsOf(env), name).toEqual([]);
      const config = loadConfig(env);
      expect(config.NODE_ENV, name).toBe("production");
      expect(config.generatedSecrets, name).toEqual([]);
      expect(config.HOST, name).toBe("0.0.0.0");
    }
  });

  it("gives the api and the worker one volume for the files one writes and the other reads", () => {
    // An upload to be imported is stored by the api and read by a worker; an export archive is
    // written by a worker and downloaded through the api.
    const workdir = imageWorkdir();
    const sources = new Set<string>();
    for (const [name, env, volumes] of composeAppServices(shell)) {
      const dataDir = posix.resolve(workdir, env.DATA_DIR || ".data");
      const exportDir = env.EXPORT_DIR ? posix.resolve(workdir, env.EXPORT_DIR) : posix.join(dataDir, "exports");
      for (const dir of [posix.join(dataDir, "imports"), exportDir]) {
        const mount = volumes
          .map((volume) => volume.split(":"))
          .find(([, target]) => target !== undefined && (dir === target || dir.startsWith(`${target}/`)));
        expect(mount, `${name}: no volume holds ${dir}`).toBeDefined();
        sources.add(mount![0]!);
      }
    }
    expect([...sources], "one volume shared by every service").toHaveLength(1);
  });

  it("refuses to start without each required secret instead of starting insecurely", () => {
    expect(() => composeAppServices({ JWT_SECRET: shell.JWT_SECRET })).toThrow(/GDPR_SUPPRESSION_KEY/);
    expect(() => composeAppServices({ GDPR_SUPPRESSION_KEY: shell.GDPR_SUPPRESSION_KEY })).toThrow(/JWT_SECRET/);
  });
});

describe("documentation of the configuration", () => {
  it(".env.example and the README's table name every variable the server reads", () => {
    const example = readFileSync(join(ROOT, ".env.example"), "utf8");
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const name of CONFIG_VARIABLES) {
      expect(example, `.env.example: ${name}`).toMatch(new RegExp(`^${name}=`, "m"));
      expect(readme, `README: ${name}`).toContain(`\`${name}\``);
    }
  });

  it("the README's relative links and file references stay inside the repository and exist", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const targets = [
      ...[...readme.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/i.test(target)),
      ...[...readme.matchAll(/`((?:\.\.\/|docs\/)[^`\s]+)`/g)].map((m) => m[1]!),
    ];
    expect(targets).toContain("docs/architecture.md");
    for (const target of targets) {
      const path = resolve(ROOT, target);
      expect(relative(ROOT, path).startsWith(".."), `${target} points outside the repository`).toBe(false);
      expect(existsSync(path), `${target} does not exist`).toBe(true);
    }
  });
});
