import { pino, type Logger } from "pino";

export type { Logger };

/** The one logger. Secrets never reach it: these paths are redacted wherever they appear. */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: "rapport", ...base },
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
  });
}
