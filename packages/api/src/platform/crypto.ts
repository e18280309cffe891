import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Signed tokens for links the server hands out and later accepts (download links): a JSON body
 * and its HMAC, both base64url, as `body.mac`. Each use derives its own key from the server
 * secret, so a token signed for one purpose never verifies for another.
 */
export function purposeKey(secret: string, purpose: string): Buffer {
  return createHmac("sha256", secret).update(purpose).digest();
}

export function signClaims(key: Buffer, claims: object): string {
  const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `${body}.${createHmac("sha256", key).update(body).digest("base64url")}`;
}

/** The token's parsed body when its MAC is valid, else undefined. The caller validates the shape and expiry. */
export function verifiedClaims(key: Buffer, token: string): unknown {
  const [body, mac] = token.split(".");
  if (!body || !mac) return undefined;
  const expected = createHmac("sha256", key).update(body).digest();
  const given = Buffer.from(mac, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    return JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}
