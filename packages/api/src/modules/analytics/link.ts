/**
 * analytics.export's signed links: `GET /api/analytics/export?token=…` downloads the file the
 * link names (workspace, user, format, sort, as-of) until it expires, 60 seconds after it was made.
 */
import { TOP_CONTACT_SORTS, type TopContactSort } from "@rapport/core";
import { z } from "zod";
import type { Config } from "../../config";
import { purposeKey, signClaims, verifiedClaims } from "../../platform/crypto";
import type { ExportFormat } from "./schemas";

export const ANALYTICS_EXPORT_PATH = "/api/analytics/export";
const LINK_TTL_MS = 60_000;

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: "text/csv; charset=utf-8",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

export function exportFilename(format: ExportFormat, asOf: Date): string {
  return `rapport-analytics-${asOf.toISOString().slice(0, 10)}.${format}`;
}

interface LinkClaims {
  /** workspace, user */
  w: string;
  u: string;
  f: ExportFormat;
  s: TopContactSort;
  /** asOf (epoch ms) */
  a: number;
  /** expires (epoch ms) */
  e: number;
}

const claimsSchema = z.strictObject({
  w: z.uuid(),
  u: z.uuid(),
  f: z.enum(["csv", "xlsx"]),
  s: z.enum(TOP_CONTACT_SORTS),
  a: z.number().int(),
  e: z.number().int(),
});

function linkKey(config: Config): Buffer {
  return purposeKey(config.JWT_SECRET, "rapport:analytics-export-link:v1");
}

/** The link's claims when its MAC is valid, its shape right and it has not expired; else null. */
export function verifyExportToken(config: Config, token: string, nowMs: number): LinkClaims | null {
  const parsed = claimsSchema.safeParse(verifiedClaims(linkKey(config), token));
  return parsed.success && parsed.data.e > nowMs ? parsed.data : null;
}

/** analytics.export: a short-lived link the browser downloads the file from. */
export function createExportLink(
  config: Config,
  now: Date,
  input: { workspaceId: string; userId: string; format: ExportFormat; sortBy: TopContactSort; asOf: Date },
) {
  const expiresAt = new Date(now.getTime() + LINK_TTL_MS);
  const token = signClaims(linkKey(config), {
    w: input.workspaceId,
    u: input.userId,
    f: input.format,
    s: input.sortBy,
    a: input.asOf.getTime(),
    e: expiresAt.getTime(),
  });
  return {
    url: `${ANALYTICS_EXPORT_PATH}?token=${encodeURIComponent(token)}`,
    filename: exportFilename(input.format, input.asOf),
    contentType: EXPORT_CONTENT_TYPES[input.format],
    format: input.format,
    asOf: input.asOf,
    expiresAt,
  };
}
