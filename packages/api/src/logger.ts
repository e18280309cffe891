import { pino, type DestinationStream, type Logger } from "pino";

export type { DestinationStream, Logger };

/**
 * The one logger. Secrets never reach it: these paths are redacted wherever
 * they appear, and errors (`err`) pass through `serializeError`, which keeps
 * what explains a failure and drops the values it failed on. `destination`
 * defaults to stdout (tests pass a stream to read what was logged).
 */
export function createLogger(
  level: string,
  base: Record<string, unknown> = {},
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    base: { service: "rapport", ...base },
    serializers: { err: serializeError },
    redact: {
      paths: [
        "password",
        "*.password",
        "token",
        "*.token",
        "accessToken",
        "*.accessToken",
        "refreshToken",
        "*.refreshToken",
        "authorization",
        "*.authorization",
        "req.headers.authorization",
        "req.headers.cookie",
        "secret",
        "*.secret",
      ],
      censor: "[redacted]",
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * `parent.child(bindings)`, made when it is first used. Every request has a logger that puts
 * its request id (and then its user id) on each line, but most requests write no line at the
 * server's level, and pino makes a child by writing its bindings out at once (through the
 * redaction's stringifiers): two children a request were about 1 % of a search's CPU. A
 * child of this logger is deferred the same way; lines, levels and bindings are the same.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  return deferred(() => parent.child(bindings));
}

function deferred(make: () => Logger): Logger {
  let made: Logger | undefined;
  const logger = () => (made ??= make());
  const child = (bindings: Record<string, unknown>, options?: unknown) =>
    options === undefined
      ? deferred(() => logger().child(bindings))
      : logger().child(bindings, options as Parameters<Logger["child"]>[1]);
  return new Proxy({} as Logger, {
    get(_, property) {
      if (property === "child") return child;
      const target = logger();
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    set: (_, property, value) => Reflect.set(logger(), property, value),
    has: (_, property) => Reflect.has(logger(), property),
  });
}

/*
 * Database errors carry the statement and the values it was run with: postgres.js
 * errors have `query`, `parameters`, `detail` ("Key (email)=(ana@…) already
 * exists"), drizzle wraps them in an error whose message is the SQL followed by
 * every parameter (a registration's email and password hash among them). None of
 * that may reach a log line, a job's stored failure reason or a database column.
 */

/** Identifiers that explain a database error without the values it failed on. */
const DATABASE_FIELDS = [
  "code",
  "severity",
  "routine",
  "schema_name",
  "table_name",
  "column_name",
  "constraint_name",
  "constraint",
];
/** Properties of any error that may hold values, statements or their parameters. */
const VALUE_FIELDS = new Set([
  "query",
  "params",
  "parameters",
  "args",
  "types",
  "detail",
  "hint",
  "where",
  "internal_query",
  "internalQuery",
  "values",
  "value",
  "input",
  "stack",
  "message",
  "cause",
]);
const MAX_CAUSE_DEPTH = 5;

function isDatabaseError(error: object): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && ("severity" in error || "routine" in error);
}

/** Drizzle's wrapper: message "Failed query: <sql>\nparams: <values>" (a database error itself is checked first). */
function isQueryWrapper(error: object): boolean {
  return "query" in error && "params" in error;
}

/**
 * An error's own message without values: a wrapped query says only that it
 * failed; a database message loses anything after `: "` (where PostgreSQL quotes
 * the offending input, e.g. `invalid input syntax for type uuid: "…"`).
 */
function ownMessage(error: Error): string {
  const message = String(error.message ?? "");
  // Checked first: PGlite's own errors also carry `query` and `params`.
  if (isDatabaseError(error)) {
    const quoted = message.indexOf(': "');
    return quoted === -1 ? message : `${message.slice(0, quoted)}: "…"`;
  }
  return isQueryWrapper(error) ? "Failed query" : message;
}

/**
 * The message of an error and its causes, safe to store and show (job failure
 * reasons, an export's error column), e.g. "Failed query: invalid byte sequence
 * for encoding "UTF8": 0x00 (SQLSTATE 22021)".
 */
export function safeErrorMessage(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current instanceof Error; depth++) {
    const code = isDatabaseError(current) ? ` (SQLSTATE ${(current as unknown as { code: string }).code})` : "";
    parts.push(`${ownMessage(current)}${code}`);
    current = current.cause;
  }
  if (parts.length === 0) return typeof error === "string" ? error : "Unknown error";
  return parts.join(": ");
}

/**
 * An error to hand to code that stores its message and stack (BullMQ keeps both
 * in Redis for days): same name, safe message, the stack's frames only.
 */
export function safeError(error: unknown): Error {
  const safe = new Error(safeErrorMessage(error));
  if (error instanceof Error) {
    safe.name = error.name;
    safe.stack = `${error.name}: ${safe.message}\n${stackFrames(error)}`;
  }
  return safe;
}

/** The "    at …" lines of a stack; the first line repeats the message, with its values. */
function stackFrames(error: Error): string {
  const stack = error.stack ?? "";
  return stack
    .split("\n")
    .filter((line) => line.trimStart().startsWith("at "))
    .join("\n");
}

/** pino serializer for `err`. */
function serializeError(value: unknown, depth = 0): unknown {
  if (!(value instanceof Error)) return value;
  const type = value.constructor?.name ?? value.name ?? "Error";
  const message = ownMessage(value);
  const out: Record<string, unknown> = { type, message, stack: `${value.name}: ${message}\n${stackFrames(value)}` };
  if (isDatabaseError(value)) {
    for (const field of DATABASE_FIELDS) {
      const identifier = (value as unknown as Record<string, unknown>)[field];
      if (identifier !== undefined) out[field] = identifier;
    }
  } else if (!isQueryWrapper(value)) {
    for (const [key, field] of Object.entries(value)) {
      if (VALUE_FIELDS.has(key) || key in out) continue;
      if (field === null || ["string", "number", "boolean"].includes(typeof field)) out[key] = field;
    }
  }
  if (value.cause !== undefined && depth < MAX_CAUSE_DEPTH) out.cause = serializeError(value.cause, depth + 1);
  return out;
}
