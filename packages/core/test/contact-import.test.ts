/** Reading an import row: the mapping guessed from headers, one rule per field (the form's), tags split once. */
import { describe, expect, it } from "vitest";
import { guessMapping, listContactsInput, mappingProblem, readImportRow, splitTags, tagsSchema } from "../src/schemas";

const ID = "00000000-0000-4000-8000-000000000001";

describe("contact import rows", () => {
  it("guesses fields from common header spellings, each field once", () => {
    expect(
      guessMapping(["Full Name", "E-mail Address", "Organization", "Job Title", "Mobile", "Labels", "Notes"]),
    ).toEqual(["name", "email", "company", "title", "phone", "tags", null]);
    expect(guessMapping(["First Name", "Last Name", "Email", "email"])).toEqual([
      "firstName",
      "lastName",
      "email",
      null,
    ]);
  });

  it("refuses a mapping without a name or with a field twice", () => {
    expect(mappingProblem(["email"])).toMatch(/Name/);
    expect(mappingProblem(["name", "email", "email"])).toMatch(/more than one column/);
    expect(mappingProblem(["name", "firstName"])).toMatch(/either Name/);
    expect(mappingProblem(["firstName", null, "lastName"])).toBeNull();
  });

  it("splits tags on ',' and, for older files, ';'", () => {
    expect(splitTags(" vip, lead;partner ,, ")).toEqual(["vip", "lead", "partner"]);
  });

  it("refuses a tag holding a separator: its export would come back as two tags", () => {
    for (const tag of ["vip, lead", "vip;lead"]) {
      const parsed = tagsSchema.safeParse([tag]);
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toMatch(/must not contain/);
      expect(listContactsInput.safeParse({ workspaceId: ID, tag }).success).toBe(false);
    }
    expect(tagsSchema.parse(["VIP", "lead-2026"])).toEqual(["lead-2026", "vip"]);
  });

  it("reads a good row through the form's rules and names every bad cell", () => {
    expect(readImportRow([" Ana ", "ANA@Example.com", "", "VIP; lead"], ["name", "email", "company", "tags"])).toEqual({
      contact: { name: "Ana", email: "ana@example.com", company: null, tags: ["lead", "vip"] },
      problems: null,
    });
    expect(readImportRow(["Ana", "Lima", ""], ["firstName", "lastName", "email"]).contact).toEqual({
      name: "Ana Lima",
      email: null,
    });
    expect(readImportRow(["", "nope", "555-CALL"], ["name", "email", "phone"])).toEqual({
      contact: null,
      problems: [
        { field: "email", message: "must be a valid email address" },
        { field: "phone", message: "may contain only digits, spaces and + ( ) . - / x" },
        { field: "name", message: "must not be empty" },
      ],
    });
  });
});
