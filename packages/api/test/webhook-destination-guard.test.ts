import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDestinationGuard, DestinationRefusedError } from "../src/modules/webhooks/outbound/destination-guard";
import { createOutboundClient, OutboundRequestError } from "../src/modules/webhooks/outbound/post";

/** A real HTTP receiver on loopback that records what reached it. */
interface Receiver {
  server: Server;
  port: number;
  received: { url: string; headers: IncomingHttpHeaders; body: string }[];
}

async function startReceiver(
  answer: (url: string) => { status: number; headers?: Record<string, string>; body?: string } | null,
): Promise<Receiver> {
  const received: Receiver["received"] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ url: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks).toString() });
      const reply = answer(request.url ?? "");
      if (!reply) return; // never answers
      response.writeHead(reply.status, reply.headers).end(reply.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, received };
}

const publicAddress = { address: "93.184.216.34", family: 4 };
const resolverOf = (table: Record<string, { address: string; family: number }[]>) => async (hostname: string) => {
  const entry = table[hostname];
  if (!entry) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
  return entry;
};

function refusalOf(action: () => unknown): DestinationRefusedError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(DestinationRefusedError);
    return error as DestinationRefusedError;
  }
  throw new Error("expected a refusal");
}

describe("the webhook destination guard", () => {
  const guard = createDestinationGuard({ plainHttpHosts: ["hooks.example.com"] });

  it.each([
    ["http://169.254.169.254/latest/meta-data/", /169\.254\.169\.254 is a link-local address .*cloud metadata/],
    ["http://[::ffff:127.0.0.1]/", /127\.0\.0\.1 is a loopback address/],
    ["http://[::ffff:a9fe:a9fe]/", /169\.254\.169\.254 is a link-local address/],
    ["http://10.0.0.1/", /10\.0\.0\.1 is a private address \(10\.0\.0\.0\/8\)/],
    ["https://127.0.0.1:8443/", /127\.0\.0\.1 is a loopback address/],
    ["https://2130706433/", /127\.0\.0\.1 is a loopback address/],
    ["https://0x7f.1/", /127\.0\.0\.1 is a loopback address/],
    ["https://[::1]/", /::1 is a loopback address/],
    ["https://172.16.5.5/", /private address \(172\.16\.0\.0\/12\)/],
    ["https://172.31.255.255/", /private address \(172\.16\.0\.0\/12\)/],
    ["https://192.168.1.10/", /private address \(192\.168\.0\.0\/16\)/],
    ["https://100.64.0.1/", /carrier-grade NAT/],
    ["https://224.0.0.251/", /multicast/],
    ["https://0.0.0.0/", /unspecified/],
    ["https://[::]/", /:: is the unspecified address/],
    ["https://[fd12:3456::1]/", /unique-local IPv6/],
    ["https://[fe80::1]/", /link-local IPv6/],
    ["https://[ff02::1]/", /multicast/],
    ["https://[::ffff:10.1.2.3]/", /10\.1\.2\.3 is a private address/],
    ["https://[::ffff:192.168.0.1]/", /192\.168\.0\.1 is a private address/],
    ["https://[64:ff9b::a9fe:a9fe]/", /64:ff9b::a9fe:a9fe embeds 169\.254\.169\.254 is a link-local/],
    ["https://[2002:a00:1::]/", /embeds 10\.0\.0\.1 is a private address/],
  ])("refuses %s and says why", (url, why) => {
    const refusal = refusalOf(() => guard.checkUrl(url));
    expect(refusal.reason).toBe("address");
    expect(refusal.message).toMatch(why);
  });

  it("lets public addresses through, literal or IPv6", () => {
    expect(guard.checkUrl("https://93.184.216.34/hook").hostname).toBe("93.184.216.34");
    expect(guard.checkUrl("https://[2606:2800:220:1::1]/").hostname).toBe("[2606:2800:220:1::1]");
    expect(guard.checkUrl("https://172.32.0.1/").hostname).toBe("172.32.0.1");
    expect(() => guard.checkAddress("8.8.8.8")).not.toThrow();
  });

  it("requires https unless the host is listed for plain http, and refuses other schemes", () => {
    expect(refusalOf(() => guard.checkUrl("http://other.example.com/")).message).toBe(
      "Plain http is not allowed for other.example.com; use https",
    );
    expect(guard.checkUrl("http://HOOKS.example.com./in").pathname).toBe("/in");
    expect(refusalOf(() => guard.checkUrl("ftp://hooks.example.com/")).reason).toBe("scheme");
    expect(refusalOf(() => guard.checkUrl("file:///etc/passwd")).reason).toBe("scheme");
    expect(refusalOf(() => guard.checkUrl("not a url")).reason).toBe("invalid_url");
  });

  it("reaches a refused range only when it is in the allow-list of CIDRs", () => {
    const allowing = createDestinationGuard({ allowedCidrs: ["10.20.0.0/16", "fd00::/8"] });
    expect(() => allowing.checkUrl("https://10.20.3.4/")).not.toThrow();
    expect(() => allowing.checkUrl("https://[::ffff:10.20.3.4]/")).not.toThrow();
    expect(() => allowing.checkUrl("https://[fd00::5]/")).not.toThrow();
    expect(refusalOf(() => allowing.checkUrl("https://10.21.0.1/")).message).toMatch(/private address/);
    expect(refusalOf(() => allowing.checkUrl("https://169.254.169.254/")).message).toMatch(/link-local/);
  });
});

describe("outgoing webhook requests", () => {
  let receiver: Receiver;
  let redirectTarget: Receiver;
  beforeAll(async () => {
    redirectTarget = await startReceiver(() => ({ status: 200 }));
    receiver = await startReceiver((url) => {
      if (url === "/redirect")
        return { status: 302, headers: { location: `http://127.0.0.1:${redirectTarget.port}/stolen` } };
      if (url === "/silent") return null;
      if (url === "/large") return { status: 500, body: "x".repeat(100_000) };
      return { status: 204 };
    });
  });
  afterAll(async () => {
    for (const { server } of [receiver, redirectTarget]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const loopbackName = "receiver.test";
  const post = (client: ReturnType<typeof createOutboundClient>, path: string, timeoutMs = 5_000) =>
    client.post({
      url: `http://${loopbackName}:${receiver.port}${path}`,
      headers: { "webhook-id": "msg_1" },
      body: "{}",
      timeoutMs,
    });

  async function failure(promise: Promise<unknown>): Promise<OutboundRequestError> {
    const error = await promise.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OutboundRequestError);
    return error as OutboundRequestError;
  }

  it("refuses at connect time a host name that resolves to a private address; nothing reaches the receiver", async () => {
    const client = createOutboundClient({
      plainHttpHosts: [loopbackName, "mixed.test", "internal.test"],
      resolve: resolverOf({
        [loopbackName]: [{ address: "127.0.0.1", family: 4 }],
        "internal.test": [{ address: "10.1.2.3", family: 4 }],
        // One public and one private answer: refused, the socket could pick either.
        "mixed.test": [publicAddress, { address: "::ffff:169.254.169.254", family: 6 }],
      }),
    });
    try {
      // The URL itself is acceptable: only resolving it shows where it leads.
      expect(() => client.checkUrl(`http://${loopbackName}:${receiver.port}/`)).not.toThrow();
      const before = receiver.received.length;
      const refused = await failure(post(client, "/hook"));
      expect(refused.failure).toBe("refused");
      expect(refused.message).toBe(
        `${loopbackName} resolves to 127.0.0.1 is a loopback address, which webhooks may not reach`,
      );
      const internal = await failure(
        client.post({ url: "http://internal.test/", headers: {}, body: "{}", timeoutMs: 5_000 }),
      );
      expect(internal.message).toMatch(
        /internal\.test resolves to 10\.1\.2\.3 is a private address \(10\.0\.0\.0\/8\)/,
      );
      const mixed = await failure(
        client.post({ url: "http://mixed.test/", headers: {}, body: "{}", timeoutMs: 5_000 }),
      );
      expect(mixed.message).toMatch(/mixed\.test resolves to 169\.254\.169\.254 is a link-local address/);
      expect(receiver.received.length).toBe(before);
    } finally {
      client.close();
    }
  });

  it("checks the address the socket connects to, not an earlier answer (DNS rebinding)", async () => {
    let calls = 0;
    const client = createOutboundClient({
      plainHttpHosts: ["rebind.test"],
      // First answer public (what a validation step would have seen), then loopback.
      resolve: async () => (calls++ === 0 ? [publicAddress] : [{ address: "127.0.0.1", family: 4 }]),
    });
    try {
      const guard = createDestinationGuard({ resolve: async () => [publicAddress] });
      await new Promise<void>((resolve, reject) =>
        guard.lookup("rebind.test", { all: true }, (error) => (error ? reject(error) : resolve())),
      );
      calls = 1;
      const refused = await failure(
        client.post({ url: `http://rebind.test:${receiver.port}/`, headers: {}, body: "{}", timeoutMs: 5_000 }),
      );
      expect(refused.message).toMatch(/rebind\.test resolves to 127\.0\.0\.1 is a loopback address/);
    } finally {
      client.close();
    }
  });

  it("delivers to an allow-listed loopback receiver with the headers and body given, and does not follow redirects", async () => {
    const client = createOutboundClient({
      allowedCidrs: ["127.0.0.1/32"],
      plainHttpHosts: [loopbackName],
      resolve: resolverOf({ [loopbackName]: [{ address: "127.0.0.1", family: 4 }] }),
    });
    try {
      const response = await client.post({
        url: `http://${loopbackName}:${receiver.port}/hook`,
        headers: { "webhook-id": "msg_1", "webhook-signature": "v1,abc" },
        body: '{"type":"webhook.test"}',
        timeoutMs: 5_000,
      });
      expect(response.status).toBe(204);
      const last = receiver.received.at(-1)!;
      expect(last.body).toBe('{"type":"webhook.test"}');
      expect(last.headers["webhook-id"]).toBe("msg_1");
      expect(last.headers["content-type"]).toBe("application/json");
      expect(last.headers["user-agent"]).toMatch(/^Rapport/);

      const redirected = await post(client, "/redirect");
      expect(redirected.status).toBe(302);
      expect(redirectTarget.received).toHaveLength(0);

      // Only the first 4 KB of an answer are read and kept.
      const large = await post(client, "/large");
      expect(large.status).toBe(500);
      expect(large.body).toBe("x".repeat(4096));

      // A literal allow-listed address works the same way (no lookup involved).
      const literal = createOutboundClient({ allowedCidrs: ["127.0.0.0/8"], plainHttpHosts: ["127.0.0.1"] });
      try {
        expect(
          (
            await literal.post({
              url: `http://127.0.0.1:${receiver.port}/x`,
              headers: {},
              body: "{}",
              timeoutMs: 5_000,
            })
          ).status,
        ).toBe(204);
      } finally {
        literal.close();
      }
    } finally {
      client.close();
    }
  });

  it("reports a timeout and a refused connection as failures without a status", async () => {
    const client = createOutboundClient({
      allowedCidrs: ["127.0.0.1/32"],
      plainHttpHosts: [loopbackName, "127.0.0.1"],
      resolve: resolverOf({ [loopbackName]: [{ address: "127.0.0.1", family: 4 }] }),
    });
    try {
      const slow = await failure(post(client, "/silent", 300));
      expect(slow.failure).toBe("timeout");
      expect(slow.message).toBe("No response within 300 ms");
      expect(slow.durationMs).toBeGreaterThanOrEqual(250);

      const closed = await startReceiver(() => ({ status: 200 }));
      const port = closed.port;
      await new Promise((resolve) => closed.server.close(resolve));
      const refused = await failure(
        client.post({ url: `http://127.0.0.1:${port}/`, headers: {}, body: "{}", timeoutMs: 5_000 }),
      );
      expect(refused.failure).toBe("connection");
      expect(refused.message).toMatch(/ECONNREFUSED/);

      const unknown = await failure(
        client.post({ url: "https://nowhere.test/", headers: {}, body: "{}", timeoutMs: 5_000 }),
      );
      // A name that does not resolve may resolve later: a connection failure, retried like one.
      expect(unknown.failure).toBe("connection");
      expect(unknown.message).toMatch(/nowhere\.test could not be resolved \(ENOTFOUND\)/);
    } finally {
      client.close();
    }
  });
});
