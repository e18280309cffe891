/**
 * `GET /api/gdpr/export/download?token=…` with `Authorization: Bearer <access token>`.
 * Mounted in apps/server/src/http.ts. Both must hold: the signed link (one export,
 * not expired) and a signed-in user who is its requester (or an owner/admin of the
 * contact export's workspace, checked now, not when the link was made).
 * 401: no/invalid session or invalid link; 410: link or file expired; 404: not yours.
 */
import type http from "node:http";
import { DomainError } from "../../../errors";
import { bearerToken } from "../../../lib/bearer";
import type { Runtime } from "../../../runtime";
import { verifyDownloadToken } from "./download-link";

function sendJson(res: http.ServerResponse, status: number, body: unknown) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload), "cache-control": "no-store" });
  res.end(payload);
}

export async function handleGdprExportDownload(runtime: Runtime, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { services, config, clock, log } = runtime;
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return sendJson(res, 405, { error: "Method not allowed" });
  }
  const token = new URL(req.url ?? "/", "http://localhost").searchParams.get("token");
  const bearer = bearerToken(req.headers.authorization);
  if (!bearer) return sendJson(res, 401, { error: "Sign in first (missing bearer token)" });
  let userId: string;
  try {
    userId = (await services.auth.verifyAccessToken(bearer)).userId;
  } catch (error) {
    if (error instanceof DomainError && error.code === "UNAUTHORIZED") return sendJson(res, 401, { error: error.message });
    log.error({ err: error }, "gdpr export download: authentication failed");
    return sendJson(res, 500, { error: "Internal error" });
  }
  const check = verifyDownloadToken(config, token ?? "", clock.now().getTime());
  if (!check.ok) {
    return check.reason === "expired"
      ? sendJson(res, 410, { error: "This download link has expired; request a new export." })
      : sendJson(res, 401, { error: "This download link is invalid." });
  }
  const row = await services.gdprExports.authorizedRow(userId, check.exportId);
  if (!row || row.status !== "completed") return sendJson(res, 404, { error: "Export not found" });
  if (!row.expiresAt || row.expiresAt <= clock.now() || !row.fileKey) return sendJson(res, 410, { error: "This export has expired; request a new one." });
  const file = await services.gdprExports.openFile(row);
  if (!file) return sendJson(res, 410, { error: "This export has expired; request a new one." });
  res.writeHead(200, {
    "content-type": "application/zip",
    "content-disposition": `attachment; filename="rapport-${row.subjectKind}-data-${row.completedAt?.toISOString().slice(0, 10) ?? "export"}.zip"`,
    ...(row.fileSizeBytes !== null ? { "content-length": String(row.fileSizeBytes) } : {}),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  if (req.method === "HEAD") {
    file.destroy();
    return void res.end();
  }
  file.on("error", (error) => {
    log.error({ err: error, exportId: row.id }, "gdpr export download failed");
    res.destroy(error);
  });
  file.pipe(res);
}
