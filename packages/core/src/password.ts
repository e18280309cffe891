/// <reference path="./types/zxcvbn-passwords.d.ts" />
import commonPasswords from "@zxcvbn-ts/language-common/dist/passwords.json.mjs";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./password-length";

/**
 * The password rule of NIST SP 800-63B (5.1.1.2): length and a check against
 * passwords known to be common, nothing else (no composition rules). Shared by
 * the API's validation and the registration form, so both say the same thing.
 */
export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH };

// zxcvbn-ts' list of ~49k passwords seen most often in breaches; only entries
// long enough to pass the length rule can matter, compared case-insensitively.
let common: Set<string> | null = null;
function isCommon(password: string): boolean {
  common ??= new Set(
    commonPasswords.filter((entry) => entry.length >= PASSWORD_MIN_LENGTH).map((entry) => entry.toLowerCase()),
  );
  return common.has(password.toLowerCase());
}

/**
 * Why a new password is refused, or null when it is acceptable. `email` adds the
 * context-specific check (the account's own address or its local part).
 */
export function passwordProblem(password: string, context: { email?: string } = {}): string | null {
  // Code points, not UTF-16 units: an emoji is one character to the user.
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (isCommon(password))
    return "is one of the most common passwords; choose another (a passphrase of a few words works well)";
  if (new Set(password).size === 1) return "must not repeat one character; choose another";
  const email = context.email?.trim().toLowerCase();
  if (email) {
    const lower = password.toLowerCase();
    const local = email.split("@")[0] ?? "";
    if (lower === email || lower === local) return "must not be your email address; choose another";
  }
  return null;
}
