import { randomBytes } from "node:crypto";
import { z } from "zod";
import { purposeKey, signClaims, verifiedClaims } from "../../platform/crypto";

/** How long a consent flow may take, from `gmail.authUrl` to the callback. */
const STATE_TTL_MS = 10 * 60_000;

const claimsSchema = z.strictObject({
  /** Single-use nonce: the key of the stored row holding the PKCE verifier. */
  n: z.string().min(16).max(64),
  u: z.uuid(),
  w: z.uuid(),
  /** Expiry, epoch ms. */
  e: z.number().int(),
});
export type StateClaims = z.infer<typeof claimsSchema>;

/**
 * The OAuth `state` parameter: a signed, expiring value naming the user and workspace that
 * started the flow (CSRF: a callback carrying someone else's state is refused). Single use is
 * enforced by the stored nonce, deleted when the state is redeemed.
 */
export class OAuthStateSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = purposeKey(secret, "gmail-oauth-state");
  }

  issue(userId: string, workspaceId: string, now: Date): { state: string; nonce: string; expiresAt: Date } {
    const nonce = randomBytes(24).toString("base64url");
    const expiresAt = new Date(now.getTime() + STATE_TTL_MS);
    return {
      state: signClaims(this.key, { n: nonce, u: userId, w: workspaceId, e: expiresAt.getTime() }),
      nonce,
      expiresAt,
    };
  }

  /** The claims of a genuine, unexpired state; otherwise why not (for the error page). */
  verify(state: string, now: Date): { ok: true; claims: StateClaims } | { ok: false; reason: "invalid" | "expired" } {
    if (state.length > 1_000) return { ok: false, reason: "invalid" };
    const parsed = claimsSchema.safeParse(verifiedClaims(this.key, state));
    if (!parsed.success) return { ok: false, reason: "invalid" };
    if (parsed.data.e <= now.getTime()) return { ok: false, reason: "expired" };
    return { ok: true, claims: parsed.data };
  }
}
