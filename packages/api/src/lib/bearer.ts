/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 6750), or null.
 * Parsed with string operations: the header is attacker-controlled, and a pattern such as
 * /^Bearer\s+(.+)$/ backtracks quadratically on long runs of whitespace.
 */
export function bearerToken(header: string | readonly string[] | null | undefined): string | null {
  const value = typeof header === "string" ? header : header?.[0];
  if (!value || value.length < 8 || value.slice(0, 6).toLowerCase() !== "bearer") return null;
  const rest = value.slice(6);
  if (rest.trimStart().length === rest.length) return null; // no separator after the scheme ("Bearerx")
  const token = rest.trim();
  return token.length > 0 ? token : null;
}
