import { randomBytes } from "node:crypto";
import { nodeWebhookSigner } from "@rapport/api";
import { verifyWebhook, WebhookVerificationError } from "@rapport/client";
import { signWebhook, webhookSignatureHeaders } from "@rapport/core/webhook-signature";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";

const newSecret = () => `whsec_${randomBytes(24).toString("base64")}`;
const body = JSON.stringify({
  type: "contact.created",
  timestamp: "2026-12-03T12:00:00.000Z",
  data: { id: "c_1", name: "Zoë Ångström ✓" },
});
const id = "msg_2b7Yx1";
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WebhookVerificationError);
  return (error as WebhookVerificationError).code;
}

describe("Standard Webhooks signatures", () => {
  it("our signature verifies with the reference implementation (standardwebhooks)", async () => {
    const secret = newSecret();
    const headers = await webhookSignatureHeaders({ id, timestamp: nowSeconds(), body, secrets: [secret] });
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    // The reference implementation refuses it under another secret: the check is real.
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow(/No matching signature/);
  });

  it("the delivery's signer (Node's HMAC) sends the header webhookSigner makes, one secret or two", async () => {
    const secrets = [newSecret(), newSecret().slice("whsec_".length)];
    const timestamp = nowSeconds();
    for (const used of [secrets.slice(0, 1), secrets]) {
      const signature = nodeWebhookSigner(used)({ id, timestamp, body });
      expect(signature).toBe(await signWebhook({ id, timestamp, body, secrets: used }));
      expect(
        new Webhook(used[0]!).verify(body, {
          "webhook-id": id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signature,
        }),
      ).toEqual(JSON.parse(body));
    }
    expect(() => nodeWebhookSigner([])).toThrow(WebhookVerificationError);
  });

  it("the reference implementation's signature verifies with verifyWebhook, with or without the whsec_ prefix", async () => {
    const secret = newSecret();
    const timestamp = new Date();
    const headers = {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, timestamp, body),
    };
    expect(await verifyWebhook({ secret, headers, body })).toEqual(JSON.parse(body));
    const bare = secret.slice("whsec_".length);
    expect((await verifyWebhook({ secret: bare, headers, body: Buffer.from(body) })).type).toBe("contact.created");
    // A Fetch Headers object and Node's capitalised keys are read the same way.
    expect((await verifyWebhook({ secret, headers: new Headers(headers), body })).data).toEqual({
      id: "c_1",
      name: "Zoë Ångström ✓",
    });
    const capitalised = Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toUpperCase(), value]));
    expect((await verifyWebhook({ secret, headers: capitalised, body })).type).toBe("contact.created");
  });

  it("during a rotation two signatures are sent and either secret verifies, with both libraries", async () => {
    const [current, previous] = [newSecret(), newSecret()];
    const headers = await webhookSignatureHeaders({ id, timestamp: nowSeconds(), body, secrets: [current, previous] });
    const signatures = headers["webhook-signature"].split(" ");
    expect(signatures).toHaveLength(2);
    expect(signatures[0]).not.toBe(signatures[1]);
    for (const secret of [current, previous]) {
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
      expect((await verifyWebhook({ secret, headers, body })).type).toBe("contact.created");
    }
    expect(await refusal(verifyWebhook({ secret: newSecret(), headers, body }))).toBe("no_matching_signature");
  });

  it("refuses a tampered body, id or signature", async () => {
    const secret = newSecret();
    const headers = await webhookSignatureHeaders({ id, timestamp: nowSeconds(), body, secrets: [secret] });
    expect(await refusal(verifyWebhook({ secret, headers, body: body.replace("c_1", "c_2") }))).toBe(
      "no_matching_signature",
    );
    expect(await refusal(verifyWebhook({ secret, headers: { ...headers, "webhook-id": "msg_other" }, body }))).toBe(
      "no_matching_signature",
    );
    const flipped = headers["webhook-signature"].replace(/^v1,./, (prefix) => (prefix.endsWith("A") ? "v1,B" : "v1,A"));
    expect(await refusal(verifyWebhook({ secret, headers: { ...headers, "webhook-signature": flipped }, body }))).toBe(
      "no_matching_signature",
    );
    // Another scheme's label is not accepted for v1.
    const v2 = headers["webhook-signature"].replace("v1,", "v2,");
    expect(await refusal(verifyWebhook({ secret, headers: { ...headers, "webhook-signature": v2 }, body }))).toBe(
      "no_matching_signature",
    );
  });

  it("allows five minutes of clock difference in either direction, and no more", async () => {
    const secret = newSecret();
    const now = new Date("2026-12-03T12:00:00Z");
    const at = async (offsetSeconds: number) =>
      webhookSignatureHeaders({
        id,
        timestamp: now.getTime() / 1000 + offsetSeconds,
        body,
        secrets: [secret],
      });
    for (const offset of [-300, 300]) {
      expect((await verifyWebhook({ secret, headers: await at(offset), body, now })).type).toBe("contact.created");
    }
    expect(await refusal(verifyWebhook({ secret, headers: await at(-301), body, now }))).toBe("timestamp_too_old");
    expect(await refusal(verifyWebhook({ secret, headers: await at(301), body, now }))).toBe("timestamp_too_new");
    // A replay of a genuine, correctly signed old message is refused by the reference implementation too.
    const old = await webhookSignatureHeaders({ id, timestamp: nowSeconds() - 3600, body, secrets: [secret] });
    expect(() => new Webhook(secret).verify(body, old)).toThrow(/too old/);
    expect(await refusal(verifyWebhook({ secret, headers: old, body }))).toBe("timestamp_too_old");
  });

  it("says what is wrong with malformed input", async () => {
    const secret = newSecret();
    const headers = await webhookSignatureHeaders({ id, timestamp: nowSeconds(), body, secrets: [secret] });
    const { "webhook-signature": _omitted, ...unsigned } = headers;
    expect(await refusal(verifyWebhook({ secret, headers: unsigned, body }))).toBe("missing_header");
    expect(await refusal(verifyWebhook({ secret, headers: { ...headers, "webhook-timestamp": "1e9" }, body }))).toBe(
      "invalid_timestamp",
    );
    expect(await refusal(verifyWebhook({ secret: "whsec_!!!", headers, body }))).toBe("invalid_secret");
    const notJson = "plain text";
    const signedText = await webhookSignatureHeaders({ id, timestamp: nowSeconds(), body: notJson, secrets: [secret] });
    expect(await refusal(verifyWebhook({ secret, headers: signedText, body: notJson }))).toBe("invalid_body");
    await expect(signWebhook({ id, timestamp: nowSeconds(), body, secrets: [] })).rejects.toThrow(/No secret/);
  });
});
