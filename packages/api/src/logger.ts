import { pino, type DestinationStream, type Logger } from "pino";
import { DEFAULT_LOG_FLUSH_MS } from "./config";

export type { DestinationStream, Logger };

/**
 * Lines held at once at most: a burst past it is written at once, in writes of this size,
 * so that holding lines never costs more memory than this (a pipe that does not drain makes
 * the writer wait, as writing every line at once did).
 */
const HELD_MAX_CHARS = 16 * 1024;
/** pino's error and fatal levels: written at once, with whatever was held before them. */
const ERROR_LEVEL = 50;
/** A destination that has this set is told each line's level first (`lastLevel`). */
const PINO_METADATA: unique symbol = Symbol.for("pino.metadata") as never;

/**
 * Standard output, written in batches: a line is held until `flushMs` after the first line
 * held, HELD_MAX_CHARS are held, an error or fatal line comes, or the process exits,
 * whichever is first; then everything held goes out in one write. Writing every line at
 * once cost a system call per request (the access log), and woke whatever reads the pipe
 * each time: about 3 % of an API instance's time under load.
 *
 * Writes are synchronous, so nothing is ever on its way when the process ends: the 'exit'
 * event (process.exit(), the end of the event loop, an uncaught exception that nothing
 * handles) writes what is held, and from then on every line goes out at once. An async
 * destination (pino.destination({ sync: false })) would leave a write in libuv's thread
 * pool that exit does not wait for, and would grow without bound, or drop lines, behind a
 * slow reader. Lost are only lines held when the process is killed outright (SIGKILL, or a
 * signal nothing handles). `flushMs` 0 writes every line at once.
 */
class BatchedOutput implements DestinationStream {
  /** pino sets `lastLevel` before each write (its multistream's protocol). */
  readonly [PINO_METADATA] = true;
  lastLevel = 0;
  private held: string[] = [];
  private heldChars = 0;
  private timer: NodeJS.Timeout | undefined;
  private direct: boolean;

  constructor(
    private readonly out: { write(chunk: string): unknown },
    private readonly flushMs: number,
  ) {
    this.direct = flushMs <= 0;
  }

  write(line: string): void {
    if (this.direct) {
      this.out.write(line);
      return;
    }
    this.held.push(line);
    this.heldChars += line.length;
    if (this.heldChars >= HELD_MAX_CHARS || this.lastLevel >= ERROR_LEVEL) this.flushSync();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flushSync(), this.flushMs);
      // Held lines never keep the process alive: its exit writes them.
      this.timer.unref();
    }
  }

  /** Writes what is held, synchronously (pino's `logger.flush(cb)`). */
  flush(callback?: (error?: Error) => void): void {
    this.flushSync();
    callback?.();
  }

  flushSync(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.held.length === 0) return;
    const chunk = this.held.join("");
    this.held = [];
    this.heldChars = 0;
    this.out.write(chunk);
  }

  /** The process is exiting: write what is held, and whatever comes after at once. */
  exiting(): void {
    this.direct = true;
    this.flushSync();
  }
}

/** One per flush delay (one in practice), all written out when the process exits. */
const outputs = new Map<number, BatchedOutput>();

/** The process's standard output, batched (BatchedOutput). */
export function logOutput(flushMs: number = DEFAULT_LOG_FLUSH_MS): DestinationStream {
  let output = outputs.get(flushMs);
  if (!output) {
    if (outputs.size === 0) process.once("exit", () => outputs.forEach((each) => each.exiting()));
    // pino's stdout (SonicBoom on fd 1): synchronous, retries while the pipe is full, and stops
    // writing once its reader is gone (EPIPE).
    output = new BatchedOutput(pino.destination({ dest: process.stdout.fd ?? 1, sync: true }), flushMs);
    outputs.set(flushMs, output);
  }
  return output;
}

/** What a redacted value is written as. */
const CENSOR = "[redacted]";
/** Redacted at a line's top level and one level down (`password` and `user.password`). */
const SECRET_KEYS = ["password", "token", "accessToken", "refreshToken", "authorization", "secret"];
const SECRET = new Set(SECRET_KEYS);
/** Redacted in a request's headers (`req.headers.…`) as well. */
const SECRET_HEADERS = ["authorization", "cookie"];
/** pino passes this key through `serializeError`, which sees the error itself; its output is redacted instead. */
const ERROR_KEY = "err";

/** An own enumerable key: the only kind pino's redaction copied, and so censored. */
function hasOwnEnumerable(value: object, key: string): boolean {
  return Object.prototype.propertyIsEnumerable.call(value, key);
}

/**
 * The one logger. Secrets never reach it: the keys above are redacted in every line and
 * every binding, and errors (`err`) pass through `serializeError`, which keeps what
 * explains a failure and drops the values it failed on. `destination` defaults to stdout,
 * batched (`logOutput`; tests pass a stream to read what was logged).
 */
export function createLogger(
  level: string,
  base: Record<string, unknown> = {},
  destination: DestinationStream = logOutput(),
): Logger {
  const logger = pino(
    {
      level,
      base: redactSecrets({ service: "rapport", ...base }),
      serializers: { err: (value: unknown) => redactNested(serializeError(value)) },
      // pino's own `redact` parsed its paths again and copied the object on every line
      // (about 5 % of an API instance's allocation); this copies only a line that has a secret.
      formatters: { log: redactSecrets },
    },
    destination,
  );
  // pino gives a child's bindings to no formatter (`formatters.bindings` sees the base only),
  // so they are redacted on their way in; every child inherits these from the root.
  const { child, setBindings } = logger;
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, redactSecrets(bindings), options);
  } as Logger["child"];
  logger.setBindings = function (this: Logger, bindings) {
    setBindings.call(this, redactSecrets(bindings));
  };
  // What a message puts in (`log.info("body %j", body)`) pino stringifies with these options,
  // which no formatter sees.
  const formatting = logger as unknown as { [pino.symbols.formatOptsSym]: { stringify(value: unknown): string } };
  const { stringify } = formatting[pino.symbols.formatOptsSym];
  formatting[pino.symbols.formatOptsSym] = {
    stringify: (value) => stringify(typeof value === "object" && value !== null ? redactSecrets(value, null) : value),
  };
  return logger;
}

/**
 * A line's fields (or bindings) with secrets censored, as pino's redaction of these keys as
 * `key` and `*.key` paths did: at the top level a missing or undefined key stays as it is
 * (pino writes no undefined); one level down, any own enumerable secret key is censored, in
 * objects but not in arrays. The caller's object is never changed: fields with a secret are
 * copied, fields without one are returned as they are. `serialized` is left to its serializer.
 */
function redactSecrets<T extends object>(fields: T, serialized: string | null = ERROR_KEY): T {
  const record = fields as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const value = record[key];
    let redacted = value;
    if (SECRET.has(key)) {
      if (value !== undefined) redacted = CENSOR;
    } else if (key === "req") redacted = redactRequest(value);
    else if (key !== serialized) redacted = redactNested(value);
    if (redacted !== value) {
      copy ??= Array.isArray(record) ? ([...record] as unknown as Record<string, unknown>) : copyOf(record);
      copy[key] = redacted;
    }
  }
  return (copy ?? fields) as T;
}

/** A field's value with its own secret keys censored (the `*.key` paths). */
function redactNested(value: unknown, keys: readonly string[] = SECRET_KEYS): unknown {
  if (!isObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of keys) {
    if (!hasOwnEnumerable(value, key)) continue;
    copy ??= copyOf(value);
    copy[key] = CENSOR;
  }
  return copy ?? value;
}

/** `req`: its own secret keys, and its headers' authorization and cookie. */
function redactRequest(req: unknown): unknown {
  const redacted = redactNested(req);
  if (!isObject(req) || !hasOwnEnumerable(req, "headers")) return redacted;
  const headers = req.headers;
  const redactedHeaders = redactNested(headers, SECRET_HEADERS);
  if (redactedHeaders === headers) return redacted;
  const copy = redacted === req ? copyOf(req) : (redacted as Record<string, unknown>);
  copy.headers = redactedHeaders;
  return copy;
}

/** An object whose keys pino's redaction looked into: arrays' elements it left alone. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Same prototype, same own enumerable fields: written as the original is (its toJSON, if any, too). */
function copyOf(value: object): Record<string, unknown> {
  return Object.assign(Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>, value);
}

/**
 * `parent.child(bindings)`, made when it is first used. Every request has a logger that puts
 * its request id (and then its user id) on each line, but most requests write no line at the
 * server's level, and pino makes a child by writing its bindings out at once: two children
 * a request were about 1 % of a search's CPU. A child of this logger is deferred the same
 * way; lines, levels and bindings are the same.
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
