import { PassThrough } from "node:stream";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import { describe, expect, it } from "vitest";
import { readRows } from "../src/modules/imports/reader";

async function rowsOf(file: Buffer): Promise<string[][]> {
  const input = new PassThrough();
  input.end(file);
  const rows: string[][] = [];
  for await (const row of readRows(input, "xlsx")) rows.push(row);
  return rows;
}

describe("XLSX import reader", () => {
  it("reads every row of a workbook whose strings and workbook parts come after its worksheet", async () => {
    // exceljs writes xl/worksheets/sheet1.xml before xl/sharedStrings.xml and xl/workbook.xml.
    // Stored uncompressed, the zip's remaining entries are parsed at once while the reader is
    // still setting the worksheet aside, the moment a premature end of the zip's entry stream
    // used to drop them (the cells then read "[object Object]", or the read threw).
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("People");
    sheet.addRow(["Email", "First name", "Company"]);
    sheet.addRow(["cara@import.example", "Cara", 42]);
    const zip = await JSZip.loadAsync(await workbook.xlsx.writeBuffer());
    const names = Object.keys(zip.files);
    expect(names.indexOf("xl/worksheets/sheet1.xml")).toBeLessThan(names.indexOf("xl/sharedStrings.xml"));
    expect(names.indexOf("xl/sharedStrings.xml")).toBeLessThan(names.indexOf("xl/workbook.xml"));
    const file = await zip.generateAsync({ type: "nodebuffer", compression: "STORE" });

    for (let read = 0; read < 5; read++) {
      expect(await rowsOf(file)).toEqual([
        ["Email", "First name", "Company"],
        ["cara@import.example", "Cara", "42"],
      ]);
    }
  });

  it("refuses a workbook whose shared strings are missing instead of importing placeholders", async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet("People").addRow(["Email", "First name"]);
    const zip = await JSZip.loadAsync(await workbook.xlsx.writeBuffer());
    zip.remove("xl/sharedStrings.xml");
    const file = await zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" });
    await expect(rowsOf(file)).rejects.toThrow("shared string");
  });
});
