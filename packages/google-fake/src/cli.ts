/**
 * Runs the fake on its own, for local development and manual tries:
 *
 *   pnpm --filter @rapport/google-fake start -- --port 4010 --mailbox me@demo.example --messages 500
 *
 * then steer it through the /__fake/* control routes (see the README in _notes/GMAIL.md).
 */
import { parseArgs } from "node:util";
import { startGoogleFake } from "./server";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4010" },
    host: { type: "string", default: "127.0.0.1" },
    mailbox: { type: "string", multiple: true, default: ["me@demo.example"] },
    messages: { type: "string", default: "200" },
    participants: { type: "string", default: "3" },
    latency: { type: "string", default: "0" },
    seed: { type: "string", default: "1" },
    "client-id": { type: "string" },
    "client-secret": { type: "string" },
  },
});

const fake = await startGoogleFake({
  port: Number(values.port),
  host: values.host,
  latencyMs: Number(values.latency),
  ...(values["client-id"] ? { clientId: values["client-id"] } : {}),
  ...(values["client-secret"] ? { clientSecret: values["client-secret"] } : {}),
});
for (const [i, email] of values.mailbox.entries()) {
  fake.addMailbox({
    email,
    messages: Number(values.messages),
    participantsPerMessage: Number(values.participants),
    seed: Number(values.seed) + i,
  });
}
const endpoints = fake.oauthEndpoints;
process.stdout.write(
  [
    `google-fake listening on ${fake.url}`,
    `  client id:      ${fake.clientId}`,
    `  client secret:  ${fake.clientSecret}`,
    `  rootUrl:        ${fake.rootUrl}`,
    `  auth:           ${endpoints.oauth2AuthBaseUrl}`,
    `  token:          ${endpoints.oauth2TokenUrl}`,
    `  revoke:         ${endpoints.oauth2RevokeUrl}`,
    `  mailboxes:      ${values.mailbox.join(", ")} (${values.messages} messages each)`,
    "",
  ].join("\n"),
);
const stop = () => {
  fake.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
