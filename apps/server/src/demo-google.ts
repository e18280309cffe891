/**
 * "Demo Google" for `--demo` without Google credentials: @rapport/google-fake in this process
 * with a generated mailbox, so Connect Gmail on the Integrations page works on a laptop and
 * fills the demo workspace. Its own build entry (dist/demo-google.js), loaded only then:
 * the server's bundle never contains the fake.
 */
import { startGoogleFake } from "@rapport/google-fake";

export const DEMO_MAILBOX = "demo.mailbox@demo-google.example";

/** Where a Google fake answers (a GoogleFake, or one in another process): what the server's settings name. */
export interface GoogleFakeAddress {
  clientId: string;
  clientSecret: string;
  rootUrl: string;
  oauthEndpoints: { oauth2AuthBaseUrl: string; oauth2TokenUrl: string; oauth2RevokeUrl: string };
}

/** The server's Google settings (config.ts) for Google played by `fake`: its client, API root and OAuth endpoints. */
export function googleSettingsOf(fake: GoogleFakeAddress): Record<string, string> {
  return {
    GOOGLE_CLIENT_ID: fake.clientId,
    GOOGLE_CLIENT_SECRET: fake.clientSecret,
    GOOGLE_API_ROOT_URL: fake.rootUrl,
    GOOGLE_OAUTH_AUTH_URL: fake.oauthEndpoints.oauth2AuthBaseUrl,
    GOOGLE_OAUTH_TOKEN_URL: fake.oauthEndpoints.oauth2TokenUrl,
    GOOGLE_OAUTH_REVOKE_URL: fake.oauthEndpoints.oauth2RevokeUrl,
  };
}

export async function startDemoGoogle(): Promise<{ env: Record<string, string>; url: string; close(): Promise<void> }> {
  const fake = await startGoogleFake({ defaultAccount: DEMO_MAILBOX, latencyMs: 5 });
  fake.addMailbox({
    email: DEMO_MAILBOX,
    name: "Demo Mailbox",
    messages: 300,
    participantsPerMessage: 3,
    categoryMessages: 20,
    automatedMessages: 10,
    encodedWordRatio: 0.2,
    seed: 2026,
  });
  return {
    url: fake.url,
    env: { ...googleSettingsOf(fake), GOOGLE_DEMO: "true" },
    close: () => fake.close(),
  };
}
