import Papa from "papaparse";
import type { RouterInputs } from "../../trpc";

/**
 * RFC 4180 CSV through papaparse (as the server's exports): quoted fields, ""
 * escapes, a leading BOM. Papa detects one line end per file, and spreadsheets
 * mix them, so CRLF and CR become LF first. Blank lines carry no contact.
 */
export function parseCsv(text: string): string[][] {
  const { data } = Papa.parse<string[]>(text.replace(/\r\n?/g, "\n"), {
    delimiter: ",",
    newline: "\n",
    skipEmptyLines: "greedy",
  });
  return data;
}

export const CSV_COLUMNS = ["name", "email", "company", "title", "phone", "tags"] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];
export const CSV_MAX_ROWS = 1_000;

/** One row as contacts.bulkCreate takes it. */
type CsvContact = Required<RouterInputs["contacts"]["bulkCreate"]["contacts"][number]> & { source: "import" };

export type CsvResult = { ok: true; contacts: CsvContact[]; ignoredColumns: string[] } | { ok: false; error: string };

/** Header row name,email,company,title,phone,tags (any order, case-insensitive); tags split on ';'. */
export function contactsFromCsv(text: string): CsvResult {
  const rows = parseCsv(text);
  if (rows.length === 0) return { ok: false, error: "The file is empty." };
  const header = rows[0]!.map((cell) => cell.trim().toLowerCase());
  const index = Object.fromEntries(CSV_COLUMNS.map((column) => [column, header.indexOf(column)])) as Record<
    CsvColumn,
    number
  >;
  if (index.name < 0) {
    return {
      ok: false,
      error: `The first row must be a header with a "name" column (expected: ${CSV_COLUMNS.join(",")}).`,
    };
  }
  const body = rows.slice(1);
  if (body.length === 0) return { ok: false, error: "The file has a header row but no contacts." };
  if (body.length > CSV_MAX_ROWS) {
    return {
      ok: false,
      error: `The file has ${body.length.toLocaleString()} rows; import at most ${CSV_MAX_ROWS.toLocaleString()} at a time.`,
    };
  }
  const cell = (cells: string[], column: CsvColumn) => (index[column] >= 0 ? (cells[index[column]] ?? "") : "");
  const optional = (value: string) => (value.trim() === "" ? null : value);
  const contacts = body.map(
    (cells): CsvContact => ({
      name: cell(cells, "name"),
      email: optional(cell(cells, "email").trim()),
      company: optional(cell(cells, "company")),
      title: optional(cell(cells, "title")),
      phone: optional(cell(cells, "phone")),
      tags: cell(cells, "tags")
        .split(";")
        .map((tag) => tag.trim())
        .filter(Boolean),
      source: "import",
    }),
  );
  const ignoredColumns = header.filter((name) => name && !(CSV_COLUMNS as readonly string[]).includes(name));
  return { ok: true, contacts, ignoredColumns };
}
