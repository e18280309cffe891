/**
 * The import's plain HTTP routes (a file body and a file download, which tRPC does not
 * carry), authorized exactly like the imports procedures (`authenticate` +
 * `authorizeWorkspace`, member and up; a non-member gets 404):
 *  - `POST IMPORT_UPLOAD_PATH?workspaceId=…&format=csv|xlsx` with the file as the body
 *    (streamed to import storage, refused beyond IMPORT_MAX_BYTES) → `{ importId }`;
 *  - `GET IMPORT_REPORT_PATH?workspaceId=…&importId=…` → the report as CSV: every row
 *    skipped and why, every row imported that may duplicate an existing contact.
 * Both take `Authorization: Bearer <access token>` (the web app's fetch sends it).
 */
import { once } from "node:events";
import type http from "node:http";
import { idSchema } from "@rapport/core/schemas";
import Papa from "papaparse";
import { z } from "zod";
import { DomainError } from "../../errors";
import { methodNotAllowed, sendError, sendJson } from "../../plain-route";
import type { Runtime } from "../../platform/runtime-types";
import { authenticate, authorizeWorkspace, type WorkspaceAccess } from "../../trpc";
import { IMPORT_MAX_BYTES } from "./service";

export const IMPORT_UPLOAD_PATH = "/api/imports/upload";
export const IMPORT_REPORT_PATH = "/api/imports/report";

/** The same access as the imports procedures (`workspaceMember("member")`). */
const IMPORT_ACCESS = { minRole: "member" } as const satisfies WorkspaceAccess;

const uploadQuery = z.strictObject({ workspaceId: idSchema, format: z.enum(["csv", "xlsx"]) });
const reportQuery = z.strictObject({ workspaceId: idSchema, importId: idSchema });

function parseQuery<T extends z.ZodType>(schema: T, req: http.IncomingMessage): z.output<T> {
  const params = Object.fromEntries(new URL(req.url ?? "/", "http://localhost").searchParams);
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message }));
    throw new DomainError("BAD_REQUEST", "Invalid query", { issues });
  }
  return parsed.data;
}

/** Handles POST IMPORT_UPLOAD_PATH. Never throws. */
export async function handleImportUpload(
  runtime: Runtime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (req.method !== "POST") return methodNotAllowed(res, "POST");
  try {
    const session = await authenticate(runtime, req.headers.authorization);
    const query = parseQuery(uploadQuery, req);
    await authorizeWorkspace(runtime, session.userId, query.workspaceId, IMPORT_ACCESS);
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > IMPORT_MAX_BYTES)
      throw new DomainError("PAYLOAD_TOO_LARGE", `The file is larger than ${IMPORT_MAX_BYTES / 1024 / 1024} MB.`);
    const result = await runtime.services.imports.upload(
      query.workspaceId,
      { actorId: session.userId, ip: null, userAgent: null },
      query.format,
      req,
    );
    sendJson(res, 201, result);
  } catch (error) {
    // Whatever of the body is still coming is not read: close the connection after answering.
    res.setHeader("connection", "close");
    sendError(res, runtime.log, error, { route: IMPORT_UPLOAD_PATH });
  }
}

/** Handles GET/HEAD IMPORT_REPORT_PATH. Never throws. */
export async function handleImportReport(
  runtime: Runtime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") return methodNotAllowed(res, "GET, HEAD");
  let query: z.output<typeof reportQuery>;
  try {
    const session = await authenticate(runtime, req.headers.authorization);
    query = parseQuery(reportQuery, req);
    await authorizeWorkspace(runtime, session.userId, query.workspaceId, IMPORT_ACCESS);
    await runtime.services.imports.get(query.workspaceId, query.importId);
  } catch (error) {
    return sendError(res, runtime.log, error, { route: IMPORT_REPORT_PATH });
  }
  res.writeHead(200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="import-report-${query.importId.slice(0, 8)}.csv"`,
    "cache-control": "no-store",
  });
  if (req.method === "HEAD") return void res.end();
  try {
    // outcome: "skipped" (not imported, for the problem given) or "flagged" (imported, possibly
    // the same person as existing_contact_id).
    res.write("row,outcome,field,problem,existing_contact_id\r\n");
    await runtime.services.imports.streamReport(query.workspaceId, query.importId, async (problems) => {
      const text = Papa.unparse(
        problems.map((p) => [p.row, p.outcome, p.field, p.reason, p.contactId ?? ""]),
        { header: false, newline: "\r\n", escapeFormulae: true },
      );
      if (!res.write(`${text}\r\n`) && !res.destroyed) await Promise.race([once(res, "drain"), once(res, "close")]);
      if (res.destroyed) throw new Error("client went away");
    });
    await new Promise<void>((resolve) => res.end(resolve));
  } catch (error) {
    runtime.log.warn({ err: error, importId: query.importId }, "import report download stopped");
    res.destroy();
  }
}
