/**
 * Opaque keyset cursors: the sort key values of the last row seen plus its id.
 * Encoded as base64url JSON so clients treat them as tokens, never as offsets.
 */
export function encodeCursor(values: readonly (string | number | null)[]): string {
  return Buffer.from(JSON.stringify(values), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string, arity: number): (string | number | null)[] | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (!Array.isArray(parsed) || parsed.length !== arity) return null;
    // A cursor's strings go into the query: NUL (which no text column holds) marks it as forged.
    if (!parsed.every((v) => v === null || (typeof v === "string" && !v.includes("\u0000")) || typeof v === "number"))
      return null;
    return parsed as (string | number | null)[];
  } catch {
    return null;
  }
}
