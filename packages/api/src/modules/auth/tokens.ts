import { createHash, randomBytes } from "node:crypto";
import { jwtVerify, SignJWT, errors as joseErrors } from "jose";

const ISSUER = "rapport";
const AUDIENCE = "rapport-api";

export interface AccessClaims {
  userId: string;
  sessionId: string;
}

export interface VerifiedAccessToken extends AccessClaims {
  expiresAtMs: number;
}

export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(claims: AccessClaims, now: Date): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = issuedAt + this.ttlSeconds;
    const token = await new SignJWT({ sid: claims.sessionId })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.key);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /** Returns the claims, or a reason the token is unusable. */
  async verify(token: string, now: Date): Promise<VerifiedAccessToken | "expired" | "invalid"> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ["HS256"],
        currentDate: now,
      });
      if (typeof payload.sub !== "string" || typeof payload.sid !== "string") return "invalid";
      return { userId: payload.sub, sessionId: payload.sid, expiresAtMs: (payload.exp ?? 0) * 1000 };
    } catch (error) {
      return error instanceof joseErrors.JWTExpired ? "expired" : "invalid";
    }
  }
}

/** Opaque refresh token (256 bits) and the SHA-256 we store instead of it. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
