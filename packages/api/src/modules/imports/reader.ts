/**
 * Reads an uploaded file row by row, never whole: CSV through papaparse's Node stream
 * (RFC 4180: quotes, "" escapes, any line end, a leading BOM), XLSX through exceljs'
 * streaming WorkbookReader (first worksheet; shared strings are cached, the rows are
 * not). Each row comes as its cells' text; `for await` pulls, so the file is read only
 * as fast as rows are taken (memory stays flat whatever the file's size).
 */
import type { Readable } from "node:stream";
import type ExcelJS from "exceljs";
import Papa from "papaparse";
import { loadExcel } from "../../platform/excel";

export type ImportFormat = "csv" | "xlsx";

export async function* readRows(input: Readable, format: ImportFormat): AsyncGenerator<string[]> {
  if (format === "csv") yield* readCsv(input);
  else yield* readXlsx(input);
}

async function* readCsv(input: Readable): AsyncGenerator<string[]> {
  const parser = Papa.parse(Papa.NODE_STREAM_INPUT, { skipEmptyLines: "greedy" }) as NodeJS.ReadWriteStream;
  input.on("error", (error) => parser.emit("error", error));
  input.pipe(parser);
  let first = true;
  try {
    for await (const row of parser as unknown as AsyncIterable<string[]>) {
      if (first) {
        first = false;
        if (row[0]?.charCodeAt(0) === 0xfeff) row[0] = row[0].slice(1);
      }
      yield row;
    }
  } finally {
    input.unpipe(parser);
    input.destroy();
  }
}

async function* readXlsx(input: Readable): AsyncGenerator<string[]> {
  const excel = await loadExcel();
  const workbook = new excel.stream.xlsx.WorkbookReader(input, {
    sharedStrings: "cache",
    hyperlinks: "ignore",
    styles: "cache",
    worksheets: "emit",
    entries: "emit",
  });
  try {
    for await (const worksheet of workbook) {
      for await (const row of worksheet as unknown as AsyncIterable<ExcelJS.Row>) {
        // A sheet skips empty rows; they carry no contact, so they are not emitted either.
        const values = row.values as unknown[];
        const cells: string[] = [];
        for (let i = 1; i < values.length; i++) cells.push(cellText(values[i]));
        if (cells.some((cell) => cell.trim() !== "")) yield cells;
      }
      // Only the first worksheet is imported.
      break;
    }
  } finally {
    input.destroy();
  }
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") {
    const v = value as {
      richText?: { text: string }[];
      text?: unknown;
      result?: unknown;
      error?: string;
      sharedString?: number;
    };
    // A cell still naming its shared string means the strings part was never read: the
    // file is refused rather than imported as "[object Object]".
    if (v.sharedString !== undefined) throw new Error("A shared string was not resolved.");
    if (v.richText) return v.richText.map((part) => part.text).join("");
    if (v.text !== undefined) return cellText(v.text);
    if (v.result !== undefined) return cellText(v.result);
    if (v.error) return "";
  }
  return String(value);
}
