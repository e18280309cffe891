/**
 * The contacts list as a file: `GET CONTACTS_EXPORT_PATH?workspaceId=…&format=csv|xlsx`
 * with the list's filters and sort (`tag`, `company`, `source`, `search`, `deleted`,
 * `sort`) and the chosen `columns` (comma-separated, in order). Authorized like the
 * contacts procedures (bearer token, member and up; a non-member gets 404). Streamed page
 * by page through the list's own query (same filters, same order), CSV through papaparse
 * (formulas neutralized), XLSX through exceljs' streaming writer: the list is never held
 * in memory. Tags are joined with the one tag separator.
 */
import { once } from "node:events";
import type http from "node:http";
import { CONTACT_SOURCES } from "@rapport/core";
import {
  CONTACT_LIST_COLUMNS,
  CONTACT_SORTS,
  idSchema,
  requiredText,
  TAG_SEPARATOR,
  tagSchema,
  type ListContactsInput,
} from "@rapport/core/schemas";
import type ExcelJS from "exceljs";
import Papa from "papaparse";
import { z } from "zod";
import { DomainError } from "../../errors";
import { methodNotAllowed, sendError } from "../../plain-route";
import { loadExcel } from "../../platform/excel";
import type { Runtime } from "../../platform/runtime-types";
import { authenticate, authorizeWorkspace } from "../../trpc";
import type { Contact } from "./service";

export const CONTACTS_EXPORT_PATH = "/api/contacts/export";

const EXPORT_COLUMNS = CONTACT_LIST_COLUMNS;
type ExportColumn = (typeof EXPORT_COLUMNS)[number];
const PAGE = 1_000;

const exportQuery = z.strictObject({
  workspaceId: idSchema,
  format: z.enum(["csv", "xlsx"]),
  columns: z
    .string()
    .max(500)
    .transform((value) => value.split(","))
    .pipe(z.array(z.enum(EXPORT_COLUMNS)).min(1))
    .default(["name", "email", "company", "title", "phone", "tags"]),
  sort: z.enum(CONTACT_SORTS).default("updated"),
  tag: tagSchema.optional(),
  company: requiredText(200).optional(),
  source: z.enum(CONTACT_SOURCES).optional(),
  search: requiredText(200).optional(),
  deleted: z.enum(["true", "false"]).default("false"),
});

function cell(contact: Contact, column: ExportColumn): string | Date | null {
  switch (column) {
    case "tags":
      return contact.tags.join(`${TAG_SEPARATOR} `);
    case "created_at":
      return contact.createdAt;
    case "updated_at":
      return contact.updatedAt;
    default:
      return contact[column] ?? null;
  }
}

/** Handles GET/HEAD CONTACTS_EXPORT_PATH. Never throws. */
export async function handleContactsExport(
  runtime: Runtime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") return methodNotAllowed(res, "GET, HEAD");
  let query: z.output<typeof exportQuery>;
  try {
    const session = await authenticate(runtime, req.headers.authorization);
    const parsed = exportQuery.safeParse(Object.fromEntries(new URL(req.url ?? "/", "http://localhost").searchParams));
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message }));
      throw new DomainError("BAD_REQUEST", "Invalid query", { issues });
    }
    query = parsed.data;
    await authorizeWorkspace(runtime, session.userId, query.workspaceId, { minRole: "member" });
  } catch (error) {
    return sendError(res, runtime.log, error, { route: CONTACTS_EXPORT_PATH });
  }
  const day = runtime.clock.now().toISOString().slice(0, 10);
  res.writeHead(200, {
    "content-type":
      query.format === "csv"
        ? "text/csv; charset=utf-8"
        : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "content-disposition": `attachment; filename="rapport-contacts-${day}.${query.format}"`,
    "cache-control": "no-store",
  });
  if (req.method === "HEAD") return void res.end();
  const drained = async () => {
    if (res.writableNeedDrain && !res.destroyed) await Promise.race([once(res, "drain"), once(res, "close")]);
    if (res.destroyed) throw new Error("client went away");
  };
  try {
    const columns = query.columns;
    let workbook: ExcelJS.stream.xlsx.WorkbookWriter | null = null;
    let sheet: ExcelJS.Worksheet | null = null;
    if (query.format === "csv") res.write(`${columns.join(",")}\r\n`);
    else {
      const excel = await loadExcel();
      workbook = new excel.stream.xlsx.WorkbookWriter({ stream: res, useStyles: true, useSharedStrings: false });
      sheet = workbook.addWorksheet("Contacts", { views: [{ state: "frozen", ySplit: 1 }] });
      sheet.columns = columns.map((column) => ({
        header: column,
        key: column,
        width: column === "email" ? 32 : 22,
        ...(column.endsWith("_at") ? { style: { numFmt: "yyyy-mm-dd hh:mm:ss" } } : {}),
      }));
    }
    let cursor: string | null = null;
    do {
      const input = {
        workspaceId: query.workspaceId,
        limit: PAGE,
        sort: query.sort,
        tag: query.tag,
        company: query.company,
        source: query.source,
        search: query.search,
        deleted: query.deleted === "true",
        cursor,
      } as ListContactsInput;
      const page = await runtime.services.contacts.list(input);
      if (sheet) {
        for (const contact of page.items) {
          const values = columns.map((column) => cell(contact, column));
          sheet.addRow(values.map((value) => (value instanceof Date ? new Date(value.toISOString()) : value))).commit();
        }
      } else {
        const rows = page.items.map((contact) =>
          columns.map((column) => {
            const value = cell(contact, column);
            return value instanceof Date ? value.toISOString() : (value ?? "");
          }),
        );
        if (rows.length > 0)
          res.write(`${Papa.unparse(rows, { header: false, newline: "\r\n", escapeFormulae: true })}\r\n`);
      }
      await drained();
      cursor = page.nextCursor;
    } while (cursor);
    if (sheet && workbook) {
      sheet.commit();
      await workbook.commit();
    } else await new Promise<void>((resolve) => res.end(resolve));
  } catch (error) {
    runtime.log.warn({ err: error, workspaceId: query.workspaceId }, "contacts export stopped");
    res.destroy();
  }
}
