import { describe, expect, it } from "vitest";
import { PASSWORD_MIN_LENGTH, passwordProblem } from "../src/password";

describe("password rule (NIST SP 800-63B: length and common passwords, no composition rules)", () => {
  it("refuses fewer than 10 characters, counting code points", () => {
    expect(PASSWORD_MIN_LENGTH).toBe(10);
    expect(passwordProblem("nine char")).toMatch(/at least 10/);
    expect(passwordProblem("tenchars!!")).toBeNull();
    // Nine emoji are 18 UTF-16 units but nine characters.
    expect(passwordProblem("🔑".repeat(9))).toMatch(/at least 10/);
    expect(passwordProblem("x".repeat(257))).toMatch(/at most 256/);
  });

  it("refuses common passwords from the bundled list, in any case", () => {
    for (const common of [
      "1234567890",
      "qwertyuiop",
      "password123",
      "Password123",
      "iloveyou123",
      "1q2w3e4r5t",
      "basketball",
    ]) {
      expect(passwordProblem(common), common).toMatch(/most common/);
    }
  });

  it("refuses one repeated character and the account's own address", () => {
    expect(passwordProblem("aaaaaaaaaaaa")).toMatch(/repeat/);
    expect(passwordProblem("jane.doe.smith@example.com", { email: "Jane.Doe.Smith@example.com" })).toMatch(/email/);
    expect(passwordProblem("jane.doe.smith", { email: "jane.doe.smith@example.com" })).toMatch(/email/);
  });

  it("accepts passphrases and the demo password", () => {
    for (const good of [
      "correct horse battery staple",
      "rapport-demo-2026",
      "Tr0ub4dor&3-but-longer",
      "ein langes Passwort",
    ]) {
      expect(passwordProblem(good), good).toBeNull();
    }
  });
});
