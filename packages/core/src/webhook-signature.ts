/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the sender signs
 * `${id}.${timestamp}.${body}` with HMAC-SHA256 under each active secret and sends
 * `webhook-signature: v1,<base64> v1,<base64>`; a receiver accepts the message when
 * any one of them matches and the timestamp is recent.
 *
 * Web Crypto only (no `node:` imports), so the same code signs on the server and
 * verifies in any receiver: Node ≥ 20, browsers, edge runtimes. HMAC verification is
 * `crypto.subtle.verify`, which compares in constant time.
 */

/** How far a message's timestamp may be from the receiver's clock, in either direction. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

const SECRET_PREFIX = "whsec_";
/** More candidate signatures than any sender rotates through: the rest are ignored, bounding the work. */
const MAX_SIGNATURES = 10;
const SIGNATURE_BYTES = 32;

export type WebhookVerificationErrorCode =
  | "invalid_secret"
  | "missing_header"
  | "invalid_timestamp"
  | "timestamp_too_old"
  | "timestamp_too_new"
  | "no_matching_signature"
  | "invalid_body";

/** Why a message was refused; `code` is stable, `message` is for people. */
export class WebhookVerificationError extends Error {
  override readonly name = "WebhookVerificationError";
  constructor(
    readonly code: WebhookVerificationErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Node's `IncomingHttpHeaders`, a plain object, or a Fetch `Headers`. */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface SignWebhookInput {
  /** The message id (`webhook-id`), identical on every retry. */
  id: string;
  /** Unix seconds (`webhook-timestamp`). */
  timestamp: number;
  /** The exact bytes sent. */
  body: string | Uint8Array;
  /** `whsec_…` secrets (the prefix is optional), one signature each, in this order. */
  secrets: readonly string[];
}

export interface VerifyWebhookInput {
  /** The endpoint's secret, with or without the `whsec_` prefix. */
  secret: string;
  headers: WebhookHeaders;
  /** The raw request body, exactly as received (not re-serialized JSON). */
  body: string | Uint8Array;
  /** The receiver's clock (tests); defaults to now. */
  now?: Date;
}

/** What Rapport sends: `{ type, timestamp, data }`. */
export interface WebhookEvent<Data = unknown> {
  type: string;
  timestamp: string;
  data: Data;
}

/** The `webhook-signature` header value: `v1,<base64>` per secret, space-separated. */
export async function signWebhook(input: SignWebhookInput): Promise<string> {
  return (await webhookSigner(input.secrets))(input);
}

/** HMAC-SHA256 of `content` under the raw key bytes. */
export type HmacSha256 = (key: Uint8Array, content: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/**
 * Signs message after message under the same secrets, the keys decoded once. `hmac`: the
 * primitive to use (default Web Crypto; a server may pass its platform's synchronous one,
 * which costs far less per message than a Web Crypto job).
 */
export async function webhookSigner(
  secrets: readonly string[],
  hmac?: HmacSha256,
): Promise<(message: Omit<SignWebhookInput, "secrets">) => Promise<string>> {
  if (secrets.length === 0) throw new WebhookVerificationError("invalid_secret", "No secret to sign with");
  const macs: ((content: Uint8Array<ArrayBuffer>) => Promise<Uint8Array>)[] = hmac
    ? secrets.map((secret) => {
        const key = webhookSecretBytes(secret);
        return async (content) => hmac(key, content);
      })
    : await Promise.all(
        secrets.map(async (secret) => {
          const key = await importKey(secret, "sign");
          return async (content: Uint8Array<ArrayBuffer>) =>
            new Uint8Array(await crypto.subtle.sign("HMAC", key, content));
        }),
      );
  return async ({ id, timestamp, body }) => {
    const content = signedContent(id, String(timestamp), body);
    const signatures = await Promise.all(macs.map(async (mac) => `v1,${toBase64(await mac(content))}`));
    return signatures.join(" ");
  };
}

/** The three Standard Webhooks headers of one message. */
export async function webhookSignatureHeaders(input: SignWebhookInput): Promise<{
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}> {
  return {
    "webhook-id": input.id,
    "webhook-timestamp": String(input.timestamp),
    "webhook-signature": await signWebhook(input),
  };
}

/**
 * Checks a received message and returns its parsed body. Throws
 * `WebhookVerificationError` when a header is missing, the timestamp is more than
 * five minutes off, no signature matches the secret, or the body is not JSON.
 */
export async function verifyWebhook<Data = unknown>(input: VerifyWebhookInput): Promise<WebhookEvent<Data>> {
  const key = await importKey(input.secret, "verify");
  const id = header(input.headers, "webhook-id");
  const timestampText = header(input.headers, "webhook-timestamp");
  const signatureHeader = header(input.headers, "webhook-signature");

  const timestamp = parseTimestamp(timestampText);
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (now - timestamp > WEBHOOK_TOLERANCE_SECONDS) {
    throw new WebhookVerificationError("timestamp_too_old", "Message timestamp is more than 5 minutes old");
  }
  if (timestamp - now > WEBHOOK_TOLERANCE_SECONDS) {
    throw new WebhookVerificationError("timestamp_too_new", "Message timestamp is more than 5 minutes in the future");
  }

  const content = signedContent(id, timestampText, input.body);
  const candidates = signatureHeader.split(" ").filter(Boolean).slice(0, MAX_SIGNATURES);
  let matched = false;
  for (const candidate of candidates) {
    const comma = candidate.indexOf(",");
    if (comma < 0 || candidate.slice(0, comma) !== "v1") continue;
    const signature = fromBase64(candidate.slice(comma + 1));
    if (!signature || signature.length !== SIGNATURE_BYTES) continue;
    // Every candidate is checked (no early exit) so timing does not tell which one matched.
    if (await crypto.subtle.verify("HMAC", key, signature, content)) matched = true;
  }
  if (!matched) throw new WebhookVerificationError("no_matching_signature", "No signature matches the secret");

  const text = typeof input.body === "string" ? input.body : new TextDecoder().decode(input.body);
  try {
    return JSON.parse(text) as WebhookEvent<Data>;
  } catch {
    throw new WebhookVerificationError("invalid_body", "Body is not JSON");
  }
}

function signedContent(id: string, timestamp: string, body: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const bodyBytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const content = new Uint8Array(prefix.length + bodyBytes.length);
  content.set(prefix, 0);
  content.set(bodyBytes, prefix.length);
  return content;
}

type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

async function importKey(secret: string, usage: "sign" | "verify"): Promise<HmacKey> {
  return crypto.subtle.importKey("raw", webhookSecretBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

/** The key bytes of a `whsec_…` secret (the prefix is optional); throws `invalid_secret` when it is not base64. */
export function webhookSecretBytes(secret: string): Uint8Array<ArrayBuffer> {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const bytes = fromBase64(encoded);
  if (!bytes || bytes.length === 0) {
    throw new WebhookVerificationError("invalid_secret", "Secret is not whsec_ followed by base64");
  }
  return bytes;
}

function header(headers: WebhookHeaders, name: string): string {
  let value: string | readonly string[] | null | undefined;
  if (typeof headers.get === "function") {
    value = (headers as { get(name: string): string | null }).get(name);
  } else {
    const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
    value = record[name];
    if (value === undefined) {
      const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
      value = key === undefined ? undefined : record[key];
    }
  }
  const text = typeof value === "string" ? value : value?.join(" ");
  if (!text) throw new WebhookVerificationError("missing_header", `Missing ${name} header`);
  return text;
}

function parseTimestamp(text: string): number {
  // Digits only (no sign, exponent or fraction), at most 12 of them.
  if (text.length > 12 || ![...text].every((char) => char >= "0" && char <= "9")) {
    throw new WebhookVerificationError("invalid_timestamp", "webhook-timestamp is not unix seconds");
  }
  return Number(text);
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}
