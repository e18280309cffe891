import { randomBytes } from "node:crypto";
import { type GoogleFakeAddress, googleSettingsOf } from "../../src/demo-google";

export { startGoogleFake, type GoogleFake } from "@rapport/google-fake";

/**
 * The server's configuration for Google played by `fake` (packages/google-fake): the real client
 * libraries talk to it. Consent comes back to `redirectUrl`, by default an address nothing answers
 * (tests that follow the redirect themselves).
 */
export function googleEnv(
  fake: GoogleFakeAddress,
  redirectUrl = "http://127.0.0.1:9/oauth/google/callback",
): Record<string, string> {
  return {
    ...googleSettingsOf(fake),
    GOOGLE_OAUTH_REDIRECT_URL: redirectUrl,
    SECRET_SEALING_KEYS: `k1:${randomBytes(32).toString("base64")}`,
  };
}
