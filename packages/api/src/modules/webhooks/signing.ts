import { createHmac } from "node:crypto";

/**
 * Standard Webhooks `webhook-signature`: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
 * per secret (the key is the base64 after `whsec_`), space-separated.
 */
export function signWebhook(input: { id: string; timestamp: number; body: string; secrets: string[] }): string {
  return input.secrets
    .map((secret) => {
      const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
      const mac = createHmac("sha256", key).update(`${input.id}.${input.timestamp}.${input.body}`).digest("base64");
      return `v1,${mac}`;
    })
    .join(" ");
}
