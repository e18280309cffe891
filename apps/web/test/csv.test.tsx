/** The CSV import's reading of a file (papaparse), before anything is sent. */
import { describe, expect, it } from "vitest";
import { contactsFromCsv, parseCsv } from "../src/features/contacts/csv";

describe("CSV import", () => {
  it("reads quoted fields, doubled quotes, a BOM, mixed line ends and skips blank lines", () => {
    const text = '\ufeffname,company\r\n"Ruiz, Ana","The ""Best"" Co"\n\n , \rBen,"Two\nlines"\r\n';
    expect(parseCsv(text)).toEqual([
      ["name", "company"],
      ["Ruiz, Ana", 'The "Best" Co'],
      ["Ben", "Two\nlines"],
    ]);
  });

  it("maps the header's columns in any order and splits tags on ';'", () => {
    const result = contactsFromCsv("Email,NAME,tags,notes\n ana@example.com ,Ana, vip ; lead ;,x\n,Ben,,\n");
    expect(result).toEqual({
      ok: true,
      ignoredColumns: ["notes"],
      contacts: [
        {
          name: "Ana",
          email: "ana@example.com",
          company: null,
          title: null,
          phone: null,
          tags: ["vip", "lead"],
          source: "import",
        },
        { name: "Ben", email: null, company: null, title: null, phone: null, tags: [], source: "import" },
      ],
    });
  });

  it("refuses a file without a name column, without rows, or with too many rows", () => {
    expect(contactsFromCsv("")).toEqual({ ok: false, error: "The file is empty." });
    expect(contactsFromCsv("email\na@example.com")).toMatchObject({
      ok: false,
      error: expect.stringContaining('"name" column'),
    });
    expect(contactsFromCsv("name\n")).toEqual({ ok: false, error: "The file has a header row but no contacts." });
    expect(contactsFromCsv(`name\n${"x\n".repeat(1_001)}`)).toMatchObject({
      ok: false,
      error: expect.stringContaining("at most 1,000"),
    });
  });
});
