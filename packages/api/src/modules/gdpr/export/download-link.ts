/**
 * Signed download links for GDPR export files: `GET /api/gdpr/export/download?token=…`.
 * The token names one export (single subject) and its expiry, MACed with a key
 * derived from JWT_SECRET (never leaves the server). The route additionally
 * requires the Bearer token of the requester (or, for a contact export, of an
 * owner/admin of its workspace): a link that leaks (browser history, a proxy
 * log, a forwarded email) is useless on its own.
 */
import type { Config } from "../../../config";
import { idSchema } from "../../../lib/schemas";
import { purposeKey, signClaims, verifiedClaims } from "../../../platform/crypto";

export const GDPR_EXPORT_DOWNLOAD_PATH = "/api/gdpr/export/download";

interface Claims {
  /** export id */
  x: string;
  /** expires (epoch ms) */
  e: number;
}

function key(config: Config): Buffer {
  return purposeKey(config.JWT_SECRET, "rapport:gdpr-export-link:v1");
}

export function signDownloadToken(config: Config, claims: Claims): string {
  return signClaims(key(config), claims);
}

export type TokenCheck = { ok: true; exportId: string } | { ok: false; reason: "invalid" | "expired" };

export function verifyDownloadToken(config: Config, token: string, nowMs: number): TokenCheck {
  const claims = verifiedClaims(key(config), token) as Partial<Claims> | null | undefined;
  if (!claims || !idSchema.safeParse(claims.x).success || typeof claims.e !== "number")
    return { ok: false, reason: "invalid" };
  return claims.e > nowMs ? { ok: true, exportId: claims.x! } : { ok: false, reason: "expired" };
}

export function createDownloadUrl(config: Config, input: { exportId: string; expiresAt: Date }): string {
  const token = signDownloadToken(config, { x: input.exportId, e: input.expiresAt.getTime() });
  return `${GDPR_EXPORT_DOWNLOAD_PATH}?token=${encodeURIComponent(token)}`;
}
