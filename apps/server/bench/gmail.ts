/**
 * Gmail sync benchmark (`pnpm bench:gmail`; not part of the tests).
 *
 *   pnpm bench:gmail [--messages 1000] [--participants 3] [--latency 20]
 *
 * 1. A throw-away database and Redis prefix with the real runtime and HTTP server in this
 *    process as the api role (bench/env.ts), and @rapport/google-fake in its own process (as
 *    Google is: its work is not ours) on 127.0.0.1 answering every request after --latency
 *    ms, holding one mailbox of --messages personal messages with --participants people
 *    besides the owner on each. The same mailbox generated here (same seed) is the truth.
 * 2. The mailbox is connected through the real OAuth flow (authUrl, the fake's consent page,
 *    completeOAuth), then one full sync runs to its end in this process (the job's body,
 *    `syncConnection`) with the production client, concurrency and storing code.
 * 3. sync_s: the sync's wall-clock time. requests: HTTP requests the fake answered during it.
 *    floor_s: requests × latency ÷ GMAIL_SYNC_CONCURRENCY — what Google's latency alone
 *    imposes at the concurrency used. Counts are checked against the mailbox's truth
 *    (`expectedContacts()`, one interaction per message). cpu_s: this process's CPU time
 *    during the sync (on a loaded host, CPU rather than Google's latency bounds sync_s).
 *
 * Writes bench-results/gmail.json at the repo root; progress goes to stderr.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createRapportClient } from "@rapport/client";
import { Mailbox } from "@rapport/google-fake";
import { googleEnv } from "../test/support/google";
import { repoRoot, withBenchEnvironment } from "./env";
import { note, round } from "./load";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: { messages: { type: "string" }, participants: { type: "string" }, latency: { type: "string" } },
});
const MESSAGES = Number(args.messages ?? 1_000);
const PARTICIPANTS = Number(args.participants ?? 3);
const LATENCY_MS = Number(args.latency ?? 20);
const CONCURRENCY = 10;
const RESULTS = join(repoRoot, "bench-results/gmail.json");
const TARGETS = { sync_s: 10, floor_ratio: 1.5, floor_slack_s: 1 } as const;
const MAILBOX = "bench.owner@gmail.example";

const SEED = 7;
const mailbox = new Mailbox({ email: MAILBOX, messages: MESSAGES, participantsPerMessage: PARTICIPANTS, seed: SEED });

const fakeProcess = spawn(
  process.execPath,
  [
    "--import",
    "tsx",
    "src/cli.ts",
    "--port",
    "0",
    "--mailbox",
    MAILBOX,
    "--messages",
    String(MESSAGES),
    "--participants",
    String(PARTICIPANTS),
    "--seed",
    String(SEED),
  ],
  { cwd: join(repoRoot, "packages/google-fake"), stdio: ["ignore", "pipe", "inherit"] },
);
const lines = createInterface({ input: fakeProcess.stdout! });
const fakeUrl = await new Promise<string>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("google-fake did not start within 60 s")), 60_000);
  lines.on("line", (line) => {
    const match = /listening on (http:\/\/\S+)/.exec(line);
    if (match) {
      clearTimeout(timer);
      resolve(match[1]!);
    }
  });
});
const google = {
  clientId: "fake-client-id.apps.googleusercontent.com",
  clientSecret: "fake-client-secret",
  rootUrl: `${fakeUrl}/`,
  oauthEndpoints: {
    oauth2AuthBaseUrl: `${fakeUrl}/o/oauth2/v2/auth`,
    oauth2TokenUrl: `${fakeUrl}/token`,
    oauth2RevokeUrl: `${fakeUrl}/revoke`,
  },
  control: async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${fakeUrl}/__fake/${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw new Error(`google-fake ${path}: ${response.status}`);
    return response.json() as Promise<Record<string, unknown>>;
  },
};

try {
  await withBenchEnvironment(
    {
      contacts: 0,
      interactions: 0,
      configOverrides: {
        ...googleEnv(google),
        GMAIL_SYNC_CONCURRENCY: String(CONCURRENCY),
      },
    },
    async (env) => {
      const client = createRapportClient({ url: env.url, token: () => env.token, batch: false });
      const { url } = await client.gmail.authUrl.mutate({ workspaceId: env.workspaceId });
      const consent = new URL(url);
      consent.searchParams.set("login_hint", MAILBOX);
      const atGoogle = await fetch(consent, { redirect: "manual" });
      const back = new URL(atGoogle.headers.get("location")!);
      await client.gmail.completeOAuth.mutate({
        workspaceId: env.workspaceId,
        code: back.searchParams.get("code")!,
        state: back.searchParams.get("state")!,
      });
      const [connection] = (await env.benchSql.unsafe(
        `SELECT id FROM gmail_connections WHERE google_email = '${MAILBOX}'`,
      )) as { id: string }[];

      // The whole mailbox, not the default first-sync depth.
      await env.benchSql.unsafe(`UPDATE gmail_connections SET max_emails = ${MESSAGES} WHERE id = '${connection!.id}'`);
      await google.control("PUT", "latency", { ms: LATENCY_MS });
      await google.control("POST", "reset-stats");
      const load = loadavg()[0]!;
      const cpuBefore = process.cpuUsage();
      note(`sync of ${MESSAGES} messages × ${PARTICIPANTS} participants, ${LATENCY_MS} ms per request`);
      const started = performance.now();
      const outcome = await env.runtime.services.gmail.syncConnection(connection!.id);
      const syncSeconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const stats = (await google.control("GET", "stats")) as {
        requests: number;
        byRoute: Record<string, number>;
        maxInFlight: number;
      };
      if (outcome.result !== "completed") throw new Error(`sync did not complete: ${JSON.stringify(outcome)}`);

      const [stored] = (await env.benchSql.unsafe(
        `SELECT (SELECT count(*)::int FROM contacts WHERE workspace_id = '${env.workspaceId}') AS contacts,
                (SELECT count(*)::int FROM interactions WHERE workspace_id = '${env.workspaceId}') AS interactions,
                (SELECT count(*)::int FROM interaction_participants WHERE workspace_id = '${env.workspaceId}') AS participants`,
      )) as { contacts: number; interactions: number; participants: number }[];
      const expectedContacts = mailbox.expectedContacts().size;
      const expectedInteractions = mailbox.messages.filter((m) => m.kind === "personal").length;
      const floorSeconds = (stats.requests * LATENCY_MS) / 1000 / CONCURRENCY;
      const result = {
        benchmark: "gmail",
        date: new Date().toISOString(),
        node: process.version,
        load_1m: round(load, 2),
        load_1m_after: round(loadavg()[0]!, 2),
        messages: MESSAGES,
        participants_per_message: PARTICIPANTS,
        latency_ms: LATENCY_MS,
        concurrency: CONCURRENCY,
        sync_s: round(syncSeconds, 2),
        cpu_s: round((cpu.user + cpu.system) / 1e6, 2),
        requests: stats.requests,
        requests_by_route: stats.byRoute,
        max_in_flight: stats.maxInFlight,
        floor_s: round(floorSeconds, 2),
        ratio_to_floor: round(syncSeconds / floorSeconds, 2),
        contacts_created: outcome.counts.contactsCreated,
        contacts_expected: expectedContacts,
        contacts_stored: stored!.contacts,
        interactions_logged: outcome.counts.interactionsLogged,
        interactions_expected: expectedInteractions,
        interactions_stored: stored!.interactions,
        participant_links_stored: stored!.participants,
        targets: TARGETS,
        met: {
          sync_s: syncSeconds < TARGETS.sync_s,
          floor: syncSeconds <= TARGETS.floor_ratio * floorSeconds + TARGETS.floor_slack_s,
          counts:
            outcome.counts.contactsCreated === expectedContacts &&
            stored!.contacts === expectedContacts &&
            outcome.counts.interactionsLogged === expectedInteractions &&
            stored!.interactions === expectedInteractions,
        },
      };
      mkdirSync(join(repoRoot, "bench-results"), { recursive: true });
      writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
      note(`wrote ${RESULTS}`);
      console.log(JSON.stringify(result, null, 2));
    },
  );
} finally {
  fakeProcess.kill("SIGTERM");
}
