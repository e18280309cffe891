import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

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

/**
 * Keys for secrets the server must read back (third-party tokens, webhook signing secrets),
 * encrypted at rest, by key id; a database dump holds no usable secret without them. The first key seals;
 * every key opens, so a key can rotate: add a new first key, re-seal, then drop the old one.
 */
export interface SealingKeys {
  currentKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

const SEALED_VERSION = "v1";

/** AES-256-GCM with a fresh 96-bit IV: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts). */
export function sealSecret(keys: SealingKeys, plaintext: string): string {
  const key = keys.keys.get(keys.currentKeyId);
  if (!key) throw new Error("The current sealing key is missing");
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  // The key id is authenticated too: a sealed value cannot be relabelled to another key.
  cipher.setAAD(Buffer.from(keys.currentKeyId));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [SEALED_VERSION, keys.currentKeyId, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

/** The plaintext of a `sealSecret` value; throws (without echoing it) when the key is unknown or it was altered. */
export function openSecret(keys: SealingKeys, sealed: string): string {
  const [version, keyId, iv, tag, ciphertext] = sealed.split(".");
  if (version !== SEALED_VERSION || !keyId || !iv || !tag || ciphertext === undefined)
    throw new Error("Not a sealed secret");
  const key = keys.keys.get(keyId);
  if (!key) throw new Error(`No sealing key with id ${keyId}`);
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAAD(Buffer.from(keyId));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
}
