/**
 * Signed download links for GDPR export files: `GET /api/gdpr/export/download?token=…`.
 * The token names one export (single subject) and its expiry, MACed with a key
 * derived from JWT_SECRET (never leaves the server). The route additionally
 * requires the Bearer token of the requester (or, for a contact export, of an
 * owner/admin of its workspace): a link that leaks (browser history, a proxy
 * log, a forwarded email) is useless on its own.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Config } from "../../../config";
import { idSchema } from "../../../lib/schemas";

export const GDPR_EXPORT_DOWNLOAD_PATH = "/api/gdpr/export/download";

interface Claims {
  /** export id */
  x: string;
  /** expires (epoch ms) */
  e: number;
}

function key(config: Config): Buffer {
  return createHmac("sha256", config.JWT_SECRET).update("rapport:gdpr-export-link:v1").digest();
}

export function signDownloadToken(config: Config, claims: Claims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `${body}.${createHmac("sha256", key(config)).update(body).digest("base64url")}`;
}

export type TokenCheck = { ok: true; exportId: string } | { ok: false; reason: "invalid" | "expired" };

export function verifyDownloadToken(config: Config, token: string, nowMs: number): TokenCheck {
  const [body, mac] = token.split(".");
  if (!body || !mac) return { ok: false, reason: "invalid" };
  const expected = createHmac("sha256", key(config)).update(body).digest();
  const given = Buffer.from(mac, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "invalid" };
  try {
    const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Claims;
    if (!idSchema.safeParse(claims.x).success || typeof claims.e !== "number") return { ok: false, reason: "invalid" };
    return claims.e > nowMs ? { ok: true, exportId: claims.x } : { ok: false, reason: "expired" };
  } catch {
    return { ok: false, reason: "invalid" };
  }
}

export function createDownloadUrl(config: Config, input: { exportId: string; expiresAt: Date }): string {
  const token = signDownloadToken(config, { x: input.exportId, e: input.expiresAt.getTime() });
  return `${GDPR_EXPORT_DOWNLOAD_PATH}?token=${encodeURIComponent(token)}`;
}
