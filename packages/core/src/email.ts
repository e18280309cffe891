/**
 * Email-address handling shared by validation, imports (Gmail, CSV) and the
 * suppression list. Addresses are compared case-insensitively everywhere in
 * Rapport, so the normalized form is lower-cased as a whole: real mail systems
 * treat local parts case-insensitively even though RFC 5321 allows otherwise.
 */

export const EMAIL_MAX_LENGTH = 254;

// Deliberately pragmatic: one "@", a dotted domain with a TLD of 2+ letters,
// no whitespace or angle brackets. Stricter RFC 5322 grammars reject addresses
// people really use and accept ones no mail server delivers to.
const EMAIL_PATTERN =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$/;

export function normalizeEmail(input: string): string {
  return input.trim().toLowerCase();
}

export function isValidEmail(input: string): boolean {
  const email = normalizeEmail(input);
  if (email.length === 0 || email.length > EMAIL_MAX_LENGTH) return false;
  const [local] = email.split("@");
  if (!local || local.length > 64 || local.startsWith(".") || local.endsWith(".") || local.includes("..")) {
    return false;
  }
  return EMAIL_PATTERN.test(email);
}

export interface ParsedAddress {
  email: string;
  displayName: string | null;
}

/**
 * Parses one header-style address: `Ana Ruiz <Ana@Acme.com>`, `"Ruiz, Ana" <ana@acme.com>`
 * or a bare `ana@acme.com`. Returns null when no valid address is present.
 */
export function parseEmailAddress(input: string): ParsedAddress | null {
  const text = input.trim();
  const angle = /^(.*)<([^<>]+)>\s*$/.exec(text);
  const rawEmail = angle ? angle[2]! : text;
  if (!isValidEmail(rawEmail)) return null;
  let displayName = angle ? angle[1]!.trim() : "";
  if (displayName.startsWith('"') && displayName.endsWith('"') && displayName.length >= 2) {
    displayName = displayName.slice(1, -1).replace(/\\(.)/g, "$1").trim();
  }
  return { email: normalizeEmail(rawEmail), displayName: displayName.length > 0 ? displayName : null };
}

/**
 * Splits an address-list header (To/Cc) on commas that are not inside quotes or
 * angle brackets, then parses each entry. Invalid entries are dropped and
 * duplicates (after normalization) keep their first occurrence.
 */
export function parseEmailAddressList(input: string): ParsedAddress[] {
  const parts: string[] = [];
  let current = "";
  let inQuotes = false;
  let inAngle = false;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch === "\\" && inQuotes && i + 1 < input.length) {
      current += ch + input[++i];
      continue;
    }
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === "<" && !inQuotes) inAngle = true;
    else if (ch === ">" && !inQuotes) inAngle = false;
    if (ch === "," && !inQuotes && !inAngle) {
      parts.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  parts.push(current);
  const seen = new Set<string>();
  const result: ParsedAddress[] = [];
  for (const part of parts) {
    const parsed = parseEmailAddress(part);
    if (parsed && !seen.has(parsed.email)) {
      seen.add(parsed.email);
      result.push(parsed);
    }
  }
  return result;
}
