import { createHmac, randomBytes } from "node:crypto";
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseProxyTrust } from "@rapport/core";
import { z } from "zod";
import { blockListOf } from "./lib/cidr";

/** The repository root (where pnpm-workspace.yaml lives), for default data paths. */
export function findRepoRoot(start = process.cwd()): string {
  let dir = resolve(start);
  while (true) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(start);
    dir = parent;
  }
}

/**
 * Secrets that earlier versions shipped as defaults. They are public (in this
 * repository's history), so anyone could forge tokens and signed links with
 * them: refused in every mode.
 */
const PUBLISHED_SECRETS: ReadonlySet<string> = new Set([
  "rapport-development-secret-do-not-use-in-production",
  "rapport-dev-suppression-key-do-not-use-in-production",
]);

/** The secrets a production deployment must set and every other mode generates on first start. */
const SECRET_NAMES = ["JWT_SECRET", "GDPR_SUPPRESSION_KEY"] as const;
type SecretName = (typeof SECRET_NAMES)[number];

const booleanFromEnv = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

/**
 * Log lines wait at most this long to be written together (logger.ts, BatchedOutput): one write
 * a quarter second instead of one per request under load, and `docker logs -f` still live.
 */
export const DEFAULT_LOG_FLUSH_MS = 250;

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  ROLE: z.enum(["api", "worker", "all"]).default("all"),
  // Loopback unless production (containers set 0.0.0.0): a development server
  // is not reachable from the network by accident.
  HOST: z.string().min(1).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z
    .url()
    .refine((value) => /^postgres(ql)?:\/\//.test(value), "must be a postgres:// or postgresql:// URL")
    .optional(),
  // Unset: the role's default (databasePoolSize).
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).optional(),
  // Local state: the embedded database, export files and generated secrets (relative to the repo root).
  DATA_DIR: z.string().min(1).default(".data"),
  // A stuck query fails after this long (Postgres statement_timeout; PGlite: waiting for its one connection).
  DATABASE_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  // Postgres idle_in_transaction_session_timeout: a transaction left waiting is ended.
  DATABASE_TRANSACTION_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  PGLITE_DIR: z.string().min(1).optional(),
  REDIS_URL: z
    .url()
    .refine((value) => /^rediss?:\/\//.test(value), "must be a redis:// or rediss:// URL")
    .optional(),
  REDIS_REQUIRED: booleanFromEnv.default(false),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/, "letters, digits, ':', '_' or '-' (at most 64)")
    .default("rapport:"),
  JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(900).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  CORS_ORIGINS: z
    .string()
    .default("http://localhost:5173,http://localhost:3000")
    .transform((value) =>
      value
        .split(",")
        .map((origin) => origin.trim())
        .filter(Boolean),
    ),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(2 * 1024 * 1024),
  // Which reverse proxies may tell the client address (X-Forwarded-For): see parseProxyTrust.
  TRUST_PROXY: z
    .string()
    .default("false")
    .transform((value, ctx) => {
      const trust = parseProxyTrust(value);
      if (typeof trust !== "string") return trust;
      ctx.addIssue({ code: "custom", message: trust });
      return z.NEVER;
    }),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // The longest a log line waits to be written with the lines after it (logger.ts, logOutput); 0: at once.
  LOG_FLUSH_MS: z.coerce.number().int().min(0).max(10_000).default(DEFAULT_LOG_FLUSH_MS),
  // Password guessing (sign-in and password re-entry): see platform/password-attempts.ts.
  LOGIN_MAX_PER_IP: z.coerce.number().int().min(1).default(30),
  LOGIN_MAX_PER_CLIENT: z.coerce.number().int().min(1).max(1_000).default(5),
  LOGIN_BACKOFF_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  LOGIN_BACKOFF_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  LOGIN_MAX_PER_ACCOUNT: z.coerce.number().int().min(1).default(100),
  LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  // Sign-ups per client address per window: against mass account creation, and against
  // probing which addresses have an account (a taken address is refused by name).
  REGISTER_MAX_PER_IP: z.coerce.number().int().min(1).default(50),
  REGISTER_WINDOW_SECONDS: z.coerce.number().int().min(1).default(3_600),
  SOFT_DELETE_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  EVENT_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  // Live event streams (activity.live): a client that reads too slowly is dropped (it resumes
  // from its last id) once it is this far behind, or holds this many events in a burst; and
  // open streams per user per instance.
  LIVE_STREAM_MAX_LAG_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  LIVE_STREAM_BUFFER: z.coerce.number().int().min(10).max(100_000).default(1_000),
  LIVE_STREAMS_PER_USER: z.coerce.number().int().min(1).max(1_000).default(12),
  // While anyone listens, the live feed reads the outbox this often even with no commit heard
  // (a wake-up may be lost), and ends streams whose token expired.
  LIVE_SAFETY_READ_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  // After commits whose events went to the streams from their wake-ups, the outbox read that
  // moves the streams' positions past them comes this much later (at once after 32 of them).
  LIVE_SENT_AHEAD_READ_MS: z.coerce.number().int().min(10).max(60_000).default(200),
  WEB_DIST_DIR: z.string().optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  // GDPR exports: where export ZIPs are stored (local directory storage) and how long links live.
  EXPORT_DIR: z.string().min(1).optional(),
  EXPORT_TTL_DAYS: z.coerce.number().int().min(1).max(30).default(7),
  // Workspace invitations: how long an invitation link stays valid (expired ones are deleted daily).
  INVITATION_TTL_DAYS: z.coerce.number().int().min(1).max(30).default(7),

  // Notifications older than this are deleted daily, read or not: old news is no longer news.
  NOTIFICATION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(90),

  // Outgoing webhooks: how long messages and attempts are kept, the receiver timeout, and
  // a factor on the retry schedule (tests run it in milliseconds).
  WEBHOOK_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(15_000),
  WEBHOOK_RETRY_DELAY_SCALE: z.coerce.number().positive().max(1).default(1),

  // Cache and recommendations (README "Recommendations and the cache").
  CACHE_ENABLED: booleanFromEnv.default(true),
  CACHE_REDIS_URL: z
    .url()
    .refine((value) => /^rediss?:\/\//.test(value), "must be a redis:// or rediss:// URL")
    .optional(),
  CACHE_REDIS_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(50, "at most 50 (a cache call must never wait longer)")
    .default(50),
  CACHE_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1_000).default(3),
  CACHE_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(100).max(600_000).default(3_000),
  CACHE_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(86_400),
  CACHE_DERIVED_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(90 * 86_400)
    .default(7 * 86_400),
  CACHE_L1_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(8 * 1024 ** 3)
    .default(16 * 1024 ** 2),
  CACHE_LOCK_TTL_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  CACHE_LOCK_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  CACHE_STATS_FLUSH_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  CACHE_GRAPH_MAX_WORKSPACES: z.coerce.number().int().min(1).max(1_000).default(8),
  RECS_HALF_LIFE_DAYS: z.coerce.number().positive().max(3_650).default(90),
  RECS_COMPANY_WEIGHT: z.coerce.number().min(0).max(100).default(0.3),
  RECS_KNOWN_THRESHOLD: z.coerce.number().positive().max(1_000).default(1),
  WARMUP_ON_START: booleanFromEnv.default(false),
  WARMUP_AFTER_IMPORT: booleanFromEnv.default(true),
  WARMUP_LIMIT: z.coerce.number().int().min(1).max(10_000).default(100),
  // GDPR erasure: HMAC key of the suppression list (server only; generated outside
  // production), deletion grace period, audit-log retention, data location.
  GDPR_SUPPRESSION_KEY: z.string().min(16, "must be at least 16 characters").optional(),
  GDPR_DELETION_GRACE_DAYS: z.coerce.number().int().min(0).max(365).default(30),
  AUDIT_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(365)
    .max(36_500)
    .default(7 * 365),
  DATA_REGION: z.string().default("eu-central (self-hosted)"),
  // Outgoing webhooks: private, loopback and link-local destinations are refused unless listed here
  // (comma-separated CIDR ranges or addresses); plain http only for the listed host names.
  WEBHOOK_ALLOWED_CIDRS: z
    .string()
    .default("")
    .transform((value, ctx) => {
      const cidrs = commaList(value);
      try {
        blockListOf(cidrs);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
      return cidrs;
    }),
  WEBHOOK_PLAIN_HTTP_HOSTS: z.string().default("").transform(commaList),

  // Gmail sync (README "Gmail sync"). The Google endpoints can point at a local fake (tests, the demo).
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  GOOGLE_OAUTH_REDIRECT_URL: z.url().optional(),
  GOOGLE_API_ROOT_URL: z.url().optional(),
  GOOGLE_OAUTH_AUTH_URL: z.url().optional(),
  GOOGLE_OAUTH_TOKEN_URL: z.url().optional(),
  GOOGLE_OAUTH_REVOKE_URL: z.url().optional(),
  // Set by `--demo` when it starts the local demo Google: the Integrations page labels the connection so.
  GOOGLE_DEMO: booleanFromEnv.default(false),
  // Keys sealing stored secrets (Google tokens, webhook signing secrets): "keyId:base64 of 32 bytes", comma-separated, the first seals.
  SECRET_SEALING_KEYS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const keys = new Map<string, Buffer>();
      for (const entry of value.split(",")) {
        const [id, key, ...rest] = entry.trim().split(":");
        const bytes = key ? Buffer.from(key, "base64") : Buffer.alloc(0);
        if (!id || !/^[A-Za-z0-9_-]{1,32}$/.test(id) || rest.length > 0 || bytes.length !== 32 || keys.has(id)) {
          ctx.addIssue({
            code: "custom",
            message:
              'each entry must be "keyId:<base64 of 32 random bytes>" with a unique id (openssl rand -base64 32)',
          });
          return z.NEVER;
        }
        keys.set(id, bytes);
      }
      return { currentKeyId: [...keys.keys()][0]!, keys };
    }),
  GMAIL_SYNC_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(10),
  GMAIL_SYNC_FREQUENCY_MIN: z.coerce.number().int().min(1).max(1_440).default(5),
  GMAIL_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(6),
  GMAIL_AUTOMATED_SENDERS: z
    .string()
    .optional()
    .transform((value) =>
      value
        ?.split(",")
        .map((pattern) => pattern.trim().toLowerCase())
        .filter(Boolean),
    ),
});

function commaList(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);
}

/** Rules across variables, checked on the raw values so they are reported with field errors. */
function crossFieldProblems(raw: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  for (const name of SECRET_NAMES) {
    const value = raw[name];
    if (value !== undefined && PUBLISHED_SECRETS.has(value)) {
      problems.push(`${name}: is a published development value; generate your own (openssl rand -hex 32)`);
    } else if (raw.NODE_ENV === "production" && value === undefined) {
      problems.push(`${name}: is required in production`);
    }
  }
  // A limit that silently stopped applying would be worse than refusing to start.
  if (raw.LOGIN_MAX_PER_EMAIL !== undefined) {
    problems.push(
      "LOGIN_MAX_PER_EMAIL: no longer exists (it let anyone lock an account); use LOGIN_MAX_PER_CLIENT (failures per account and client address before backoff) and LOGIN_MAX_PER_ACCOUNT (attempts per account from all addresses)",
    );
  }
  if (Number(raw.LOGIN_BACKOFF_MAX_SECONDS ?? 900) < Number(raw.LOGIN_BACKOFF_SECONDS ?? 60)) {
    problems.push("LOGIN_BACKOFF_MAX_SECONDS: must be at least LOGIN_BACKOFF_SECONDS");
  }
  if (raw.NODE_ENV === "production" && raw.GOOGLE_CLIENT_ID && !raw.SECRET_SEALING_KEYS) {
    problems.push("SECRET_SEALING_KEYS: is required in production when GOOGLE_CLIENT_ID is set");
  }
  if (Boolean(raw.GOOGLE_CLIENT_ID) !== Boolean(raw.GOOGLE_CLIENT_SECRET)) {
    problems.push("GOOGLE_CLIENT_SECRET: GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are set together");
  }
  if (["true", "1", "yes"].includes(raw.REDIS_REQUIRED ?? "") && !raw.REDIS_URL) {
    problems.push("REDIS_URL: is required when REDIS_REQUIRED=true");
  }
  return problems;
}

type Env = z.infer<typeof envSchema>;

/** Every environment variable the server reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

export interface Config
  extends Omit<
    Env,
    | SecretName
    | "HOST"
    | "DATA_DIR"
    | "PGLITE_DIR"
    | "WEB_DIST_DIR"
    | "EXPORT_DIR"
    | "SECRET_SEALING_KEYS"
    | "DATABASE_POOL_SIZE"
  > {
  /** The Postgres pool's connections: DATABASE_POOL_SIZE, else the role's default (databasePoolSize). */
  DATABASE_POOL_SIZE: number;
  /** Seals stored secrets (Google tokens, webhook signing secrets); without SECRET_SEALING_KEYS (outside production) one key derived from JWT_SECRET. */
  SECRET_SEALING_KEYS: { currentKeyId: string; keys: ReadonlyMap<string, Buffer> };
  HOST: string;
  JWT_SECRET: string;
  GDPR_SUPPRESSION_KEY: string;
  DATA_DIR: string;
  EXPORT_DIR: string;
  PGLITE_DIR: string;
  WEB_DIST_DIR: string;
  /** Secrets the environment did not set, generated (and, outside tests, kept in `DATA_DIR/secrets.json`). */
  generatedSecrets: SecretName[];
}

/**
 * Whether browsers reach this server over https (decides the refresh cookie's Secure flag
 * and HSTS). Taken from PUBLIC_URL, never from a request's Host header, which the client
 * writes. Without PUBLIC_URL, production is assumed to sit behind TLS.
 */
export function servesHttps(config: Pick<Config, "PUBLIC_URL" | "NODE_ENV">): boolean {
  return config.PUBLIC_URL ? new URL(config.PUBLIC_URL).protocol === "https:" : config.NODE_ENV === "production";
}

/** The pool's size for the roles that run jobs, and the most the API role is given by default. */
const POOL_SIZE_WITH_JOBS = 10;

/**
 * The default pool size of a role on a host with `cpus` CPUs (DATABASE_POOL_SIZE overrides it).
 * The API role's requests are short statements: more connections than the CPUs can keep busy
 * only queue more runnable backends against the one Node thread that parses and ranks their
 * results (bench:search, 10 concurrent searches on 2 CPUs: a pool of 5 served more, with a
 * shorter tail, than one of 10), so it is sized from the CPU count (`cpus × 2 + 1`, the usual
 * guidance), at most 10. The worker, and `all` which runs the jobs too, keep 10: jobs hold a
 * connection for a long time (an export's cursors, 32 webhook deliveries at once).
 */
export function databasePoolSize(role: Config["ROLE"], cpus: number): number {
  if (role !== "api") return POOL_SIZE_WITH_JOBS;
  return Math.min(POOL_SIZE_WITH_JOBS, Math.max(1, cpus) * 2 + 1);
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Reads and validates the environment once. Names every bad variable in the error. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  // Empty strings in .env files mean "unset", not "invalid".
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ""));
  const result = envSchema.safeParse(cleaned);
  const problems = [
    ...(result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join(".") || "(env)"}: ${issue.message}`)),
    ...crossFieldProblems(cleaned),
  ];
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const env = result.data;
  const root = findRepoRoot();
  const dataDir = resolve(root, env.DATA_DIR);
  const missing = SECRET_NAMES.filter((name) => env[name] === undefined);
  // Tests get fresh secrets per process; development and demo keep theirs so sessions survive restarts.
  const generated =
    missing.length === 0
      ? {}
      : env.NODE_ENV === "test"
        ? freshSecrets(missing)
        : storedSecrets(join(dataDir, "secrets.json"), missing);
  const jwtSecret = env.JWT_SECRET ?? generated.JWT_SECRET!;
  return {
    ...env,
    HOST: env.HOST ?? (env.NODE_ENV === "production" ? "0.0.0.0" : "127.0.0.1"),
    DATABASE_POOL_SIZE: env.DATABASE_POOL_SIZE ?? databasePoolSize(env.ROLE, availableParallelism()),
    JWT_SECRET: jwtSecret,
    SECRET_SEALING_KEYS: env.SECRET_SEALING_KEYS ?? {
      currentKeyId: "derived",
      keys: new Map([["derived", createHmac("sha256", jwtSecret).update("token-sealing").digest()]]),
    },
    GDPR_SUPPRESSION_KEY: env.GDPR_SUPPRESSION_KEY ?? generated.GDPR_SUPPRESSION_KEY!,
    generatedSecrets: missing,
    DATA_DIR: dataDir,
    PGLITE_DIR: env.PGLITE_DIR ? resolve(root, env.PGLITE_DIR) : join(dataDir, "pglite"),
    WEB_DIST_DIR: resolve(root, env.WEB_DIST_DIR ?? "apps/web/dist"),
    EXPORT_DIR: env.EXPORT_DIR ? resolve(root, env.EXPORT_DIR) : join(dataDir, "exports"),
  };
}

function freshSecrets(names: readonly SecretName[]): Partial<Record<SecretName, string>> {
  return Object.fromEntries(names.map((name) => [name, randomBytes(32).toString("hex")]));
}

/**
 * Reads the generated secrets from `file`, creating the missing ones. The file is
 * written owner-only and published with an atomic link/rename, so two processes
 * starting together (api + worker) end up with the same values.
 */
function storedSecrets(file: string, names: readonly SecretName[]): Partial<Record<SecretName, string>> {
  const read = (): Partial<Record<SecretName, string>> => {
    if (!existsSync(file)) return {};
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      json = null;
    }
    const parsed = z.record(z.string(), z.string()).safeParse(json);
    if (!parsed.success)
      throw new ConfigError([`${file}: is not a JSON object of strings; delete it to generate new secrets`]);
    return parsed.data;
  };
  const stored = read();
  const absent = names.filter((name) => !stored[name] || PUBLISHED_SECRETS.has(stored[name]!));
  if (absent.length === 0) return stored;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const next = { ...stored, ...freshSecrets(absent) };
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  try {
    if (Object.keys(stored).length === 0) {
      // First start: only one process may create the file; a loser reads the winner's.
      try {
        linkSync(temp, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        return storedSecrets(file, names);
      }
    } else {
      renameSync(temp, file);
    }
  } finally {
    rmSync(temp, { force: true });
  }
  return next;
}
