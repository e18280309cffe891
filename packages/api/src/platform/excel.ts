import type ExcelJS from "exceljs";

/**
 * exceljs, loaded the first time a spreadsheet is read or written rather than when the server
 * starts: it is the heaviest library the server uses (about 0.3 s and 8 MB of heap to load),
 * and most processes never touch an XLSX file.
 */
export async function loadExcel(): Promise<typeof ExcelJS> {
  return (await import("exceljs")).default;
}
