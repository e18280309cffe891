/**
 * `GET /api/gdpr/export/download?token=…` with `Authorization: Bearer <access token>`.
 * Mounted in apps/server/src/http.ts. Both must hold: the signed link (one export,
 * not expired) and a signed-in user who is its requester (or an owner/admin of the
 * contact export's workspace, checked now, not when the link was made).
 * 401: no/invalid session or invalid link; 410: link or file expired; 404: not yours.
 */
import type http from "node:http";
import { unauthorized } from "../../../errors";
import { methodNotAllowed, sendError, sendJson } from "../../../plain-route";
import type { Runtime } from "../../../platform/runtime-types";
import { authenticate } from "../../../trpc";
import { GDPR_EXPORT_DOWNLOAD_PATH, verifyDownloadToken } from "./download-link";

/** Handles GET/HEAD of the download route. Never throws: every failure is an answer. */
export async function handleGdprExportDownload(
  runtime: Runtime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const { services, config, clock, log } = runtime;
  if (req.method !== "GET" && req.method !== "HEAD") return methodNotAllowed(res, "GET, HEAD");
  const token = new URL(req.url ?? "/", "http://localhost").searchParams.get("token");
  try {
    const { userId } = await authenticate(runtime, req.headers.authorization);
    const check = verifyDownloadToken(config, token ?? "", clock.now().getTime());
    if (!check.ok) {
      if (check.reason === "invalid") throw unauthorized("This download link is invalid.");
      return sendJson(res, 410, { error: "This download link has expired; request a new export." });
    }
    const row = await services.gdprExports.authorizedRow(userId, check.exportId);
    if (row?.status !== "completed") return sendJson(res, 404, { error: "Export not found", code: "NOT_FOUND" });
    if (!row.expiresAt || row.expiresAt <= clock.now() || !row.fileKey)
      return sendJson(res, 410, { error: "This export has expired; request a new one." });
    const file = await services.gdprExports.openFile(row);
    if (!file) return sendJson(res, 410, { error: "This export has expired; request a new one." });
    res.writeHead(200, {
      "content-type": "application/zip",
      "content-disposition": `attachment; filename="rapport-${row.subjectKind}-data-${row.completedAt?.toISOString().slice(0, 10) ?? "export"}.zip"`,
      ...(row.fileSizeBytes !== null ? { "content-length": String(row.fileSizeBytes) } : {}),
      "cache-control": "no-store",
    });
    if (req.method === "HEAD") {
      file.destroy();
      return void res.end();
    }
    file.on("error", (error) => sendError(res, log, error, { route: GDPR_EXPORT_DOWNLOAD_PATH, exportId: row.id }));
    file.pipe(res);
  } catch (error) {
    sendError(res, log, error, { route: GDPR_EXPORT_DOWNLOAD_PATH });
  }
}
