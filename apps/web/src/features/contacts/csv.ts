import type { RouterInputs } from "../../trpc";
/** RFC 4180 CSV: quoted fields, "" escapes, CRLF/LF/CR line ends, a leading BOM. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === "") {
      quoted = true;
    } else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  // Blank lines carry no contact.
  return rows.filter((cells) => cells.some((cell) => cell.trim() !== ""));
}

export const CSV_COLUMNS = ["name", "email", "company", "title", "phone", "tags"] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];
export const CSV_MAX_ROWS = 1_000;

/** One row as contacts.bulkCreate takes it. */
export type CsvContact = Required<RouterInputs["contacts"]["bulkCreate"]["contacts"][number]> & { source: "import" };

export type CsvResult =
  | { ok: true; contacts: CsvContact[]; ignoredColumns: string[] }
  | { ok: false; error: string };

/** Header row name,email,company,title,phone,tags (any order, case-insensitive); tags split on ';'. */
export function contactsFromCsv(text: string): CsvResult {
  const rows = parseCsv(text);
  if (rows.length === 0) return { ok: false, error: "The file is empty." };
  const header = rows[0]!.map((cell) => cell.trim().toLowerCase());
  const index = Object.fromEntries(CSV_COLUMNS.map((column) => [column, header.indexOf(column)])) as Record<CsvColumn, number>;
  if (index.name < 0) {
    return { ok: false, error: `The first row must be a header with a "name" column (expected: ${CSV_COLUMNS.join(",")}).` };
  }
  const body = rows.slice(1);
  if (body.length === 0) return { ok: false, error: "The file has a header row but no contacts." };
  if (body.length > CSV_MAX_ROWS) {
    return { ok: false, error: `The file has ${body.length.toLocaleString()} rows; import at most ${CSV_MAX_ROWS.toLocaleString()} at a time.` };
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
