/**
 * analytics export as a download: `GET /api/analytics/export`.
 *
 * tRPC answers JSON, so the file itself is served by this plain HTTP route
 * (mounted in apps/server/src/http.ts), streamed from a server-side cursor
 * straight into the response (CSV through papaparse, XLSX through exceljs'
 * streaming writer) — the workspace is never held in memory.
 *
 * Two ways in, authorized like every workspace procedure (a non-member gets
 * 404, existence is not revealed):
 *  - `Authorization: Bearer <access token>` with `workspaceId`, `format`,
 *    `sortBy`, `asOf` in the query string (scripts, the typed client);
 *  - `?token=…` from `analytics.export` (the dashboard): a link signed with a
 *    key derived from JWT_SECRET, valid for 60 seconds, naming the user,
 *    workspace and options, so a browser can download natively (a plain link
 *    cannot carry a header). Membership is checked again at download time.
 */
import { once } from "node:events";
import type http from "node:http";
import type { TopContactSort } from "@rapport/core";
import type ExcelJS from "exceljs";
import Papa from "papaparse";
import { DomainError, unauthorized } from "../../errors";
import { methodNotAllowed, sendError } from "../../plain-route";
import { loadExcel } from "../../platform/excel";
import type { Runtime } from "../../platform/runtime-types";
import { authenticate, authorizeWorkspace, type WorkspaceAccess } from "../../trpc";
import { ANALYTICS_EXPORT_PATH, EXPORT_CONTENT_TYPES, exportFilename, verifyExportToken } from "./link";
import type { ExportRow } from "./queries";
import { exportInput, type ExportFormat } from "./schemas";

const EXPORT_COLUMNS = [
  "id",
  "name",
  "email",
  "company",
  "clv",
  "health",
  "recency",
  "frequency",
  "last_contact_at",
  "interaction_count",
] as const;

/** Who may export: exactly what the analytics.export procedure requires (one way to authorize). */
export const ANALYTICS_EXPORT_ACCESS = {
  minRole: "member",
  processesCallerData: true,
} as const satisfies WorkspaceAccess;

interface ExportRequest {
  workspaceId: string;
  userId: string;
  format: ExportFormat;
  sortBy: TopContactSort;
  asOf: Date;
}

/** The signed link's or the bearer caller's request, authorized like the procedure. */
async function authorizedRequest(
  runtime: Runtime,
  req: http.IncomingMessage,
  params: Record<string, string>,
): Promise<ExportRequest> {
  let request: ExportRequest;
  if (params.token !== undefined) {
    const claims = verifyExportToken(runtime.config, params.token, runtime.clock.now().getTime());
    if (!claims) throw unauthorized("This download link is invalid or has expired; start the export again.");
    request = { workspaceId: claims.w, userId: claims.u, format: claims.f, sortBy: claims.s, asOf: new Date(claims.a) };
  } else {
    const session = await authenticate(runtime, req.headers.authorization);
    const parsed = exportInput.safeParse(params);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message }));
      throw new DomainError("BAD_REQUEST", "Invalid query", { issues });
    }
    request = {
      ...parsed.data,
      userId: session.userId,
      asOf: runtime.services.analytics.resolveAsOf(parsed.data.asOf),
    };
  }
  await authorizeWorkspace(runtime, request.userId, request.workspaceId, ANALYTICS_EXPORT_ACCESS);
  return request;
}

/** Handles GET/HEAD /api/analytics/export. Never throws. */
export async function handleAnalyticsExport(
  runtime: Runtime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const { services, log } = runtime;
  if (req.method !== "GET" && req.method !== "HEAD") return methodNotAllowed(res, "GET, HEAD");
  const params = Object.fromEntries(new URL(req.url ?? "/", "http://localhost").searchParams);

  let request: ExportRequest;
  try {
    request = await authorizedRequest(runtime, req, params);
  } catch (error) {
    return sendError(res, log, error, { route: ANALYTICS_EXPORT_PATH });
  }

  res.writeHead(200, {
    "content-type": EXPORT_CONTENT_TYPES[request.format],
    "content-disposition": `attachment; filename="${exportFilename(request.format, request.asOf)}"`,
    "cache-control": "no-store",
  });
  if (req.method === "HEAD") return void res.end();

  // A client that goes away stops the cursor at the next batch.
  let gone = false;
  res.on("close", () => {
    if (!res.writableFinished) gone = true;
  });
  const started = performance.now();
  try {
    const writer = request.format === "csv" ? csvWriter(res) : xlsxWriter(res, request.asOf, await loadExcel());
    const { rows } = await services.analytics.streamExport(
      request.workspaceId,
      { sortBy: request.sortBy, asOf: request.asOf },
      async (batch) => {
        if (gone) throw new ExportAborted();
        await writer.write(batch);
      },
    );
    await writer.end();
    log.info(
      { workspaceId: request.workspaceId, format: request.format, rows, ms: Math.round(performance.now() - started) },
      "analytics export",
    );
  } catch (error) {
    if (!(error instanceof ExportAborted))
      log.error({ err: error, workspaceId: request.workspaceId }, "analytics export failed");
    // Headers are out: the only honest signal left is a broken download.
    res.destroy(error instanceof Error ? error : undefined);
  }
}

class ExportAborted extends Error {}

interface ExportWriter {
  write(rows: ExportRow[]): Promise<void>;
  end(): Promise<void>;
}

/** Waits until the client has taken what was written (or went away: then the next batch stops the export). */
async function drained(res: http.ServerResponse) {
  if (!res.writableNeedDrain || res.destroyed) return;
  await Promise.race([once(res, "drain"), once(res, "close")]);
}

const health = (row: ExportRow) => (Number(row.r) + Number(row.f)) / 2;
const lastContact = (row: ExportRow) => (row.last_ms === null ? null : new Date(Number(row.last_ms)));

function csvWriter(res: http.ServerResponse): ExportWriter {
  res.write(`${EXPORT_COLUMNS.join(",")}\r\n`);
  return {
    async write(rows) {
      const data = rows.map((row) => [
        row.id,
        row.name,
        row.email ?? "",
        row.company ?? "",
        (Number(row.cents) / 100).toFixed(2),
        health(row),
        Number(row.r),
        Number(row.f),
        lastContact(row)?.toISOString() ?? "",
        Number(row.n),
      ]);
      // escapeFormulae: a name like "=HYPERLINK(…)" stays text in a spreadsheet.
      if (!res.write(`${Papa.unparse(data, { header: false, newline: "\r\n", escapeFormulae: true })}\r\n`))
        await drained(res);
    },
    async end() {
      await new Promise<void>((resolve) => res.end(resolve));
    },
  };
}

function xlsxWriter(res: http.ServerResponse, asOf: Date, excel: typeof ExcelJS): ExportWriter {
  const workbook = new excel.stream.xlsx.WorkbookWriter({ stream: res, useStyles: true, useSharedStrings: false });
  workbook.creator = "Rapport";
  workbook.created = asOf;
  const sheet = workbook.addWorksheet("Contacts", { views: [{ state: "frozen", ySplit: 1 }] });
  sheet.columns = [
    { header: "id", key: "id", width: 38 },
    { header: "name", key: "name", width: 28 },
    { header: "email", key: "email", width: 32 },
    { header: "company", key: "company", width: 24 },
    { header: "clv", key: "clv", width: 12, style: { numFmt: "#,##0.00" } },
    { header: "health", key: "health", width: 8 },
    { header: "recency", key: "recency", width: 9 },
    { header: "frequency", key: "frequency", width: 10 },
    { header: "last_contact_at", key: "last_contact_at", width: 22, style: { numFmt: "yyyy-mm-dd hh:mm:ss" } },
    { header: "interaction_count", key: "interaction_count", width: 16 },
  ];
  return {
    async write(rows) {
      for (const row of rows) {
        sheet
          .addRow({
            id: row.id,
            name: row.name,
            email: row.email ?? null,
            company: row.company ?? null,
            clv: Number(row.cents) / 100,
            health: health(row),
            recency: Number(row.r),
            frequency: Number(row.f),
            last_contact_at: lastContact(row),
            interaction_count: Number(row.n),
          })
          .commit();
      }
      await drained(res);
    },
    async end() {
      sheet.commit();
      await workbook.commit();
    },
  };
}
