import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";

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

const DEV_JWT_SECRET = "rapport-development-secret-do-not-use-in-production";

const booleanFromEnv = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    ROLE: z.enum(["api", "worker", "all"]).default("all"),
    HOST: z.string().min(1).default("0.0.0.0"),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: z.url().optional(),
    DATABASE_URL: z
      .url()
      .refine((value) => /^postgres(ql)?:\/\//.test(value), "must be a postgres:// or postgresql:// URL")
      .optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
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
      .transform((value) => value.split(",").map((origin) => origin.trim()).filter(Boolean)),
    BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(2 * 1024 * 1024),
    TRUST_PROXY: booleanFromEnv.default(false),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    LOGIN_MAX_PER_IP: z.coerce.number().int().min(1).default(30),
    LOGIN_MAX_PER_EMAIL: z.coerce.number().int().min(1).default(5),
    LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
    SOFT_DELETE_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    EVENT_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
    WEB_DIST_DIR: z.string().optional(),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
    // GDPR exports (issue 6): where export ZIPs are stored (local directory storage) and how long links live.
    EXPORT_DIR: z.string().min(1).optional(),
    EXPORT_TTL_DAYS: z.coerce.number().int().min(1).max(30).default(7),

    // Cache and recommendations (README "Recommendations and the cache").
    CACHE_ENABLED: booleanFromEnv.default(true),
    CACHE_REDIS_URL: z
      .url()
      .refine((value) => /^rediss?:\/\//.test(value), "must be a redis:// or rediss:// URL")
      .optional(),
    CACHE_REDIS_TIMEOUT_MS: z.coerce.number().int().min(1).max(50, "at most 50 (a cache call must never wait longer)").default(50),
    CACHE_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1_000).default(3),
    CACHE_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(100).max(600_000).default(3_000),
    CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(30 * 86_400).default(86_400),
    CACHE_DERIVED_TTL_SECONDS: z.coerce.number().int().min(1).max(90 * 86_400).default(7 * 86_400),
    CACHE_L1_MAX_BYTES: z.coerce.number().int().min(0).max(8 * 1024 ** 3).default(64 * 1024 ** 2),
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
    // GDPR erasure (issue 6): HMAC key of the suppression list (server only; dev default
    // outside production), deletion grace period, audit-log retention, data location.
    GDPR_SUPPRESSION_KEY: z.string().min(16).default("rapport-dev-suppression-key-do-not-use-in-production"),
    GDPR_DELETION_GRACE_DAYS: z.coerce.number().int().min(0).max(365).default(30),
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(365).max(36_500).default(7 * 365),
    DATA_REGION: z.string().default("eu-central (self-hosted)"),
  });

/** Rules across variables, checked on the raw values so they are reported with field errors. */
function crossFieldProblems(raw: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (raw.NODE_ENV === "production" && !raw.JWT_SECRET) problems.push("JWT_SECRET: is required in production");
  if (raw.NODE_ENV === "production" && !raw.GDPR_SUPPRESSION_KEY) problems.push("GDPR_SUPPRESSION_KEY: is required in production");
  if (["true", "1", "yes"].includes(raw.REDIS_REQUIRED ?? "") && !raw.REDIS_URL) {
    problems.push("REDIS_URL: is required when REDIS_REQUIRED=true");
  }
  return problems;
}

export type Env = z.infer<typeof envSchema>;

export interface Config extends Omit<Env, "JWT_SECRET" | "PGLITE_DIR" | "WEB_DIST_DIR" | "EXPORT_DIR"> {
  JWT_SECRET: string;
  EXPORT_DIR: string;
  PGLITE_DIR: string;
  WEB_DIST_DIR: string;
  usesDevSecret: boolean;
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
    ...(result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".") || "(env)"}: ${issue.message}`)),
    ...crossFieldProblems(cleaned),
  ];
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const env = result.data;
  const root = findRepoRoot();
  return {
    ...env,
    JWT_SECRET: env.JWT_SECRET ?? DEV_JWT_SECRET,
    usesDevSecret: !env.JWT_SECRET,
    PGLITE_DIR: resolve(root, env.PGLITE_DIR ?? ".data/pglite"),
    WEB_DIST_DIR: resolve(root, env.WEB_DIST_DIR ?? "apps/web/dist"),
    EXPORT_DIR: resolve(root, env.EXPORT_DIR ?? ".data/exports"),
  };
}
