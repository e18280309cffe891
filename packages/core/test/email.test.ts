import { describe, expect, it } from "vitest";
import { isValidEmail, normalizeEmail, parseEmailAddress, parseEmailAddressList } from "../src/email";

describe("email addresses", () => {
  it("normalizes by trimming and lower-casing", () => {
    expect(normalizeEmail("  Ana.Ruiz@Acme.COM ")).toBe("ana.ruiz@acme.com");
  });

  it.each([
    ["ana@acme.com", true],
    ["ana+crm@sub.acme.co.uk", true],
    ["o'brien@example.ie", true],
    ["ana@acme", false],
    ["ana@@acme.com", false],
    ["ana acme@x.com", false],
    [".ana@acme.com", false],
    ["ana..ruiz@acme.com", false],
    ["ana@-acme.com", false],
    ["", false],
    [`${"a".repeat(65)}@acme.com`, false],
    [`a@${"b".repeat(250)}.com`, false],
  ])("isValidEmail(%j) = %s", (input, expected) => {
    expect(isValidEmail(input)).toBe(expected);
  });

  it("parses header-style addresses with display names", () => {
    expect(parseEmailAddress("Ana Ruiz <Ana@Acme.com>")).toEqual({ email: "ana@acme.com", displayName: "Ana Ruiz" });
    expect(parseEmailAddress('"Ruiz, Ana" <ana@acme.com>')).toEqual({
      email: "ana@acme.com",
      displayName: "Ruiz, Ana",
    });
    expect(parseEmailAddress("ana@acme.com")).toEqual({ email: "ana@acme.com", displayName: null });
    expect(parseEmailAddress("Ana <not an address>")).toBeNull();
  });

  it("splits address lists on commas outside quotes, drops invalid and duplicate entries", () => {
    expect(parseEmailAddressList('"Ruiz, Ana" <ana@acme.com>, ben@acme.com, junk, ANA@acme.com')).toEqual([
      { email: "ana@acme.com", displayName: "Ruiz, Ana" },
      { email: "ben@acme.com", displayName: null },
    ]);
  });
});
