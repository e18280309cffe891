import { ManualClock } from "@rapport/api";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WantedWebhookTypes, webhookEvents } from "../../../packages/api/src/modules/webhooks/events";
import type { ServiceDeps } from "../../../packages/api/src/platform/deps";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";
import { dumpLines } from "./support/dump";
import { joinWorkspace } from "./support/members";
import { untilAccepted } from "./support/until";
import { startReceiver, type WebhookReceiver } from "./support/webhook-receiver";

const DAY_MS = 86_400_000;
// Loopback receivers: plain http to 127.0.0.1, and the SSRF guard told to let loopback through.
const WEBHOOK_ENV = {
  WEBHOOK_PLAIN_HTTP_HOSTS: "127.0.0.1",
  WEBHOOK_ALLOWED_CIDRS: "127.0.0.0/8",
  WEBHOOK_RETRY_DELAY_SCALE: "0.001",
  WEBHOOK_TIMEOUT_MS: "2000",
};

describe("outgoing webhooks (Postgres, Redis, BullMQ)", () => {
  let app: TestApp;
  const clock = new ManualClock(new Date());
  let owner: SignedInUser;
  let admin: SignedInUser;
  let member: SignedInUser;
  let stranger: SignedInUser;
  let workspaceId: string;
  let strangerWorkspaceId: string;
  const receivers: WebhookReceiver[] = [];

  const receiver = async (answer?: WebhookReceiver["answer"]) => {
    const started = await startReceiver(answer);
    receivers.push(started);
    return started;
  };
  const createEndpoint = (url: string, eventTypes: string[] = ["*"], by: SignedInUser = owner) =>
    by.client.webhooks.create.mutate({ workspaceId, url, eventTypes });
  const createContact = (name: string, email?: string) =>
    owner.client.contacts.create.mutate({ workspaceId, name, email: email ?? null });
  const messagesOf = async (endpointId: string) =>
    (await owner.client.webhooks.messages.query({ workspaceId, endpointId, limit: 200 })).items;

  beforeAll(async () => {
    app = await createTestApp({ clock, env: WEBHOOK_ENV });
    [owner, admin, member, stranger] = await Promise.all([
      app.signUp("Olga Owner"),
      app.signUp("Adam Admin"),
      app.signUp("Mia Member"),
      app.signUp("Sam Stranger"),
    ]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Hooked" })).id;
    strangerWorkspaceId = (await stranger.client.workspaces.create.mutate({ name: "Elsewhere" })).id;
    await joinWorkspace(owner, workspaceId, admin, "admin");
    await joinWorkspace(owner, workspaceId, member);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await app.close();
  });

  it("create shows a whsec_ secret once; list and get never return it; owners and admins only", async () => {
    const { endpoint, secret } = await createEndpoint("https://hooks.example.com/rapport", ["contact.created"], admin);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(24);
    expect(endpoint).toMatchObject({
      url: "https://hooks.example.com/rapport",
      eventTypes: ["contact.created"],
      enabled: true,
    });
    const listed = await owner.client.webhooks.list.query({ workspaceId });
    expect(listed.map((e) => e.id)).toContain(endpoint.id);
    expect(JSON.stringify(listed)).not.toContain(secret.slice(6));
    expect(
      JSON.stringify(await owner.client.webhooks.get.query({ workspaceId, endpointId: endpoint.id })),
    ).not.toContain(secret.slice(6));

    const updated = await admin.client.webhooks.update.mutate({
      workspaceId,
      endpointId: endpoint.id,
      description: "CRM sync",
      eventTypes: ["contact.created", "contact.updated"],
    });
    expect(updated).toMatchObject({ description: "CRM sync", eventTypes: ["contact.created", "contact.updated"] });

    expect((await errorOf(member.client.webhooks.list.query({ workspaceId }))).code).toBe("FORBIDDEN");
    expect(
      (
        await errorOf(
          member.client.webhooks.create.mutate({ workspaceId, url: "https://x.example.com/", eventTypes: ["*"] }),
        )
      ).code,
    ).toBe("FORBIDDEN");
    expect(await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id })).toEqual({
      deleted: true,
    });
    expect((await errorOf(owner.client.webhooks.get.query({ workspaceId, endpointId: endpoint.id }))).code).toBe(
      "NOT_FOUND",
    );
  });

  it("refuses plain http except for configured hosts, unknown event types and malformed URLs, writing nothing", async () => {
    const before = (await owner.client.webhooks.list.query({ workspaceId })).length;
    const cases: [string, string[]][] = [
      ["http://hooks.example.com/", ["*"]],
      ["ftp://hooks.example.com/", ["*"]],
      ["https://user:pw@hooks.example.com/", ["*"]],
      ["not a url", ["*"]],
      ["https://hooks.example.com/", ["contact.nonsense"]],
      ["https://hooks.example.com/", ["*", "contact.created"]],
      ["https://hooks.example.com/", []],
    ];
    for (const [url, eventTypes] of cases) {
      const error = await errorOf(owner.client.webhooks.create.mutate({ workspaceId, url, eventTypes }));
      expect(error.code, `${url} ${eventTypes.join(",")}`).toBe("BAD_REQUEST");
    }
    expect(await owner.client.webhooks.list.query({ workspaceId })).toHaveLength(before);
  });

  it("at most 20 endpoints per workspace", async () => {
    const other = (await owner.client.workspaces.create.mutate({ name: "Twenty" })).id;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        owner.client.webhooks.create.mutate({
          workspaceId: other,
          url: `https://h${i}.example.com/`,
          eventTypes: ["*"],
        }),
      ),
    );
    const error = await errorOf(
      owner.client.webhooks.create.mutate({ workspaceId: other, url: "https://h20.example.com/", eventTypes: ["*"] }),
    );
    expect(error.code).toBe("CONFLICT");
    expect(await owner.client.webhooks.list.query({ workspaceId: other })).toHaveLength(20);
  });

  it("another workspace's member can neither see nor touch the endpoints, messages or attempts", async () => {
    const hook = await receiver();
    const { endpoint } = await createEndpoint(hook.url, ["contact.created"]);
    await createContact("Visible Only Here");
    const [message] = await untilAccepted(
      "the message to be written",
      () => messagesOf(endpoint.id),
      (items) => items.length === 1,
    );
    const ref = { workspaceId, endpointId: endpoint.id };
    const own = { workspaceId: strangerWorkspaceId, endpointId: endpoint.id };
    const calls: (() => Promise<unknown>)[] = [
      () => stranger.client.webhooks.list.query({ workspaceId }),
      () => stranger.client.webhooks.get.query(ref),
      () => stranger.client.webhooks.update.mutate({ ...ref, enabled: false }),
      () => stranger.client.webhooks.delete.mutate(ref),
      () => stranger.client.webhooks.rotateSecret.mutate(ref),
      () => stranger.client.webhooks.messages.query({ ...ref, limit: 10 }),
      () => stranger.client.webhooks.attempts.query({ workspaceId, messageId: message!.id }),
      () => stranger.client.webhooks.replay.mutate({ workspaceId, messageId: message!.id }),
      () => stranger.client.webhooks.sendTest.mutate(ref),
      // Through their own workspace: the ids are not theirs.
      () => stranger.client.webhooks.get.query(own),
      () => stranger.client.webhooks.update.mutate({ ...own, enabled: false }),
      () => stranger.client.webhooks.delete.mutate(own),
      () => stranger.client.webhooks.rotateSecret.mutate(own),
      () => stranger.client.webhooks.messages.query({ ...own, limit: 10 }),
      () => stranger.client.webhooks.attempts.query({ workspaceId: strangerWorkspaceId, messageId: message!.id }),
      () => stranger.client.webhooks.replay.mutate({ workspaceId: strangerWorkspaceId, messageId: message!.id }),
      () => stranger.client.webhooks.sendTest.mutate(own),
    ];
    for (const call of calls) expect((await errorOf(call())).code).toBe("NOT_FOUND");
    expect((await owner.client.webhooks.get.query(ref)).enabled).toBe(true);
    await owner.client.webhooks.delete.mutate(ref);
  });

  it("delivers a committed event with a snapshot of the contact, signed per Standard Webhooks", async () => {
    const hook = await receiver();
    const { endpoint, secret } = await createEndpoint(hook.url, ["contact.created", "contact.updated"]);
    const contact = await createContact("Ada Lovelace", "ada@example.com");
    const [request] = await hook.waitFor(1);
    const payload = new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>) as {
      type: string;
      timestamp: string;
      data: Record<string, unknown>;
    };
    expect(payload.type).toBe("contact.created");
    expect(payload.data).toMatchObject({ id: contact.id, name: "Ada Lovelace", email: "ada@example.com" });
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.headers["user-agent"]).toMatch(/Rapport/);
    expect(request!.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    // A tampered body or another secret does not verify.
    expect(() =>
      new Webhook(secret).verify(request!.body.replace("Ada", "Eve"), request!.headers as Record<string, string>),
    ).toThrow();

    const [message] = await untilAccepted(
      "the delivery",
      () => messagesOf(endpoint.id),
      (items) => items[0]?.status === "delivered",
    );
    expect(message!.id).toBe(request!.headers["webhook-id"]);
    const { attempts } = await owner.client.webhooks.attempts.query({ workspaceId, messageId: message!.id });
    expect(attempts).toMatchObject([
      { attempt: 1, trigger: "scheduled", statusCode: 200, ok: true, responseBody: "ok" },
    ]);
    // What the attempt shows is what was sent (the record builds its headers in SQL).
    const sent = ["content-type", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature"];
    expect(attempts[0]!.requestHeaders).toEqual(Object.fromEntries(sent.map((name) => [name, request!.headers[name]])));
    const health = (await owner.client.webhooks.get.query({ workspaceId, endpointId: endpoint.id })).health;
    expect(health).toMatchObject({ attempts24h: 1, successRate24h: 1, lastStatusCode: 200 });
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
  });

  it("only subscribed types are delivered, and a rolled-back change sends nothing", async () => {
    const hook = await receiver();
    const { endpoint } = await createEndpoint(hook.url, ["contact.updated"]);
    const created = await createContact("Grace Hopper", "grace@example.com");
    // All-or-nothing import with a conflicting row: rolled back, no event, no message.
    expect(
      (
        await errorOf(
          owner.client.contacts.bulkCreate.mutate({
            workspaceId,
            contacts: [
              { name: "New One", email: "new.one@example.com" },
              { name: "Dup", email: "grace@example.com" },
            ],
          }),
        )
      ).code,
    ).toBe("CONFLICT");
    await owner.client.contacts.update.mutate({ workspaceId, contactId: created.id, patch: { title: "Rear Admiral" } });
    const [request] = await hook.waitFor(1);
    expect(JSON.parse(request!.body)).toMatchObject({
      type: "contact.updated",
      data: { id: created.id, title: "Rear Admiral", changedFields: ["title"] },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hook.received).toHaveLength(1);
    expect(await messagesOf(endpoint.id)).toHaveLength(1);
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
  });

  it("a Gmail sync's completion and failure go out with ids and counts; they are in the catalogue", async () => {
    const catalogue = await owner.client.webhooks.eventTypes.query({ workspaceId });
    expect(catalogue.map((entry) => entry.type)).toEqual(
      expect.arrayContaining(["gmail.sync.completed", "gmail.sync.failed"]),
    );
    const hook = await receiver();
    const { endpoint } = await createEndpoint(hook.url, ["gmail.sync.completed", "gmail.sync.failed"]);
    // The rows the Gmail module's sync writes to the outbox when it ends (gmail.test.ts runs real syncs).
    const counts = {
      contactsCreated: 2,
      contactsUpdated: 1,
      interactionsLogged: 14,
      interactionsDeleted: 0,
      emailsProcessed: 20,
    };
    const connectionId = "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7";
    await app.sql`INSERT INTO domain_events (workspace_id, actor_id, type, payload) VALUES
      (${workspaceId}, ${owner.userId}, 'gmail.sync.completed', ${app.sql.json({ connectionId, mode: "incremental", ...counts })}),
      (${workspaceId}, ${owner.userId}, 'gmail.sync.failed', ${app.sql.json({ connectionId, mode: "full", reason: "throttled", ...counts })})`;
    const requests = await hook.waitFor(2);
    const bodies = requests.map((request) => JSON.parse(request.body)).sort((a, b) => a.type.localeCompare(b.type));
    expect(bodies.map(({ type, data }) => ({ type, data }))).toEqual([
      { type: "gmail.sync.completed", data: { connectionId, mode: "incremental", ...counts } },
      { type: "gmail.sync.failed", data: { connectionId, mode: "full", reason: "throttled", ...counts } },
    ]);
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
  });

  it("a member renaming their account goes out as member.updated with the field named, never the name", async () => {
    const hook = await receiver();
    const { endpoint } = await createEndpoint(hook.url, ["member.updated"]);
    await member.client.auth.updateProfile.mutate({ name: "Mia Member-Lopez" });
    const [request] = await hook.waitFor(1);
    const body = JSON.parse(request!.body);
    expect({ type: body.type, data: body.data }).toEqual({
      type: "member.updated",
      data: { userId: member.userId, fields: ["name"] },
    });
    expect(request!.body).not.toContain("Lopez");
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
  });

  it("after a rotation both secrets sign for 24 h; then only the new one", async () => {
    const hook = await receiver();
    const { endpoint, secret: oldSecret } = await createEndpoint(hook.url, ["contact.created"]);
    const { secret: newSecret, previousSecretExpiresAt } = await owner.client.webhooks.rotateSecret.mutate({
      workspaceId,
      endpointId: endpoint.id,
    });
    expect(newSecret).not.toBe(oldSecret);
    expect(previousSecretExpiresAt.getTime()).toBe(clock.now().getTime() + DAY_MS);
    await createContact("Rotated Once");
    const [request] = await hook.waitFor(1);
    const headers = request!.headers as Record<string, string>;
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(newSecret).verify(request!.body, headers)).toMatchObject({ type: "contact.created" });
    expect(new Webhook(oldSecret).verify(request!.body, headers)).toMatchObject({ type: "contact.created" });

    clock.advance(DAY_MS + 1_000);
    try {
      // Access tokens follow the clock too: call the service directly while it is moved.
      await app.runtime.services.webhooks.delivery.sendTest(workspaceId, endpoint.id);
      const second = hook.received[1]!;
      const headers = second.headers as Record<string, string>;
      expect(headers["webhook-signature"]!.split(" ")).toHaveLength(1);
      // The timestamp is the (moved) clock's, outside the library's tolerance: compare signatures.
      const verifyAt = (secret: string) =>
        new Webhook(secret).sign(
          headers["webhook-id"]!,
          new Date(Number(headers["webhook-timestamp"]) * 1_000),
          second.body,
        ) === headers["webhook-signature"];
      expect(verifyAt(newSecret)).toBe(true);
      expect(verifyAt(oldSecret)).toBe(false);
    } finally {
      clock.advance(-(DAY_MS + 1_000));
    }
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
  });

  it("a receiver that fails three times then succeeds gets the same webhook-id four times; the message ends delivered", async () => {
    const hook = await receiver((_request, index) => (index < 3 ? { status: 500, body: "boom" } : { status: 204 }));
    const { endpoint } = await createEndpoint(hook.url, ["contact.created"]);
    await createContact("Persistent Pat");
    const requests = await hook.waitFor(4);
    expect(new Set(requests.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    const [message] = await untilAccepted(
      "the delivery after retries",
      () => messagesOf(endpoint.id),
      (items) => items[0]?.status === "delivered",
    );
    expect(message).toMatchObject({ attempts: 4, lastStatusCode: 204 });
    const { attempts } = await owner.client.webhooks.attempts.query({ workspaceId, messageId: message!.id });
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.ok])).toEqual([
      [4, 204, true],
      [3, 500, false],
      [2, 500, false],
      [1, 500, false],
    ]);
    expect(attempts[3]!.responseBody).toBe("boom");
    expect(attempts[3]!.nextAttemptAt).not.toBeNull();
    expect(attempts[0]!.nextAttemptAt).toBeNull();
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
  });

  it("a receiver's answer holding a NUL byte is recorded (the NUL replaced), not sent again and again", async () => {
    const hook = await receiver((_request, index) =>
      index === 0 ? { status: 500, body: "bad\u0000answer" } : { status: 204 },
    );
    const { endpoint } = await createEndpoint(hook.url, ["contact.created"]);
    await createContact("Nul Answer");
    const [message] = await untilAccepted(
      "the delivery after one retry",
      () => messagesOf(endpoint.id),
      (items) => items[0]?.status === "delivered",
    );
    expect(message).toMatchObject({ attempts: 2 });
    expect(hook.received).toHaveLength(2);
    const { attempts } = await owner.client.webhooks.attempts.query({ workspaceId, messageId: message!.id });
    expect(attempts.map((a) => [a.attempt, a.statusCode])).toEqual([
      [2, 204],
      [1, 500],
    ]);
    expect(attempts[1]!.responseBody).toBe("bad\uFFFDanswer");
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
  });

  it("retries follow the schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, ±20 %), then the message fails", async () => {
    // Its own app, with the schedule shrunk 10,000 times (the eight attempts take ~10 s),
    // the clock standing still: each attempt records the delay it planned.
    const scaled = await createTestApp({ clock, env: { ...WEBHOOK_ENV, WEBHOOK_RETRY_DELAY_SCALE: "0.0001" } });
    const hook = await receiver(() => ({ status: 500 }));
    try {
      const user = await scaled.signUp("Sid Schedule");
      const space = (await user.client.workspaces.create.mutate({ name: "Scheduled" })).id;
      const { endpoint } = await user.client.webhooks.create.mutate({
        workspaceId: space,
        url: hook.url,
        eventTypes: ["contact.created"],
      });
      await user.client.contacts.create.mutate({ workspaceId: space, name: "Scheduled Sam" });
      const requests = await hook.waitFor(8, 30_000);
      const page = await untilAccepted(
        "the message to fail for good",
        () => user.client.webhooks.messages.query({ workspaceId: space, endpointId: endpoint.id, limit: 10 }),
        (p) => p.items[0]?.status === "failed",
      );
      expect(page.items[0]!.attempts).toBe(8);
      const { attempts } = await user.client.webhooks.attempts.query({
        workspaceId: space,
        messageId: page.items[0]!.id,
      });
      const planned = [...attempts]
        .sort((a, b) => a.attempt - b.attempt)
        .map((a) => (a.nextAttemptAt ? a.nextAttemptAt.getTime() - a.createdAt.getTime() : null));
      const schedule = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000].map(
        (ms) => ms / 10_000,
      );
      expect(planned).toHaveLength(8);
      schedule.forEach((ms, i) => {
        expect(planned[i], `delay after attempt ${i + 1}`).toBeGreaterThanOrEqual(Math.floor(ms * 0.8));
        expect(planned[i], `delay after attempt ${i + 1}`).toBeLessThanOrEqual(Math.ceil(ms * 1.2));
      });
      expect(planned[7]).toBeNull();
      // The queue really waited: the eight attempts span at least the sum of the shortest delays
      // (measured on the shared event loop, so only in total, with a little slack).
      const minimum = schedule.reduce((sum, ms) => sum + ms * 0.8, 0);
      expect(requests[7]!.at - requests[0]!.at).toBeGreaterThanOrEqual(minimum - 100);
      expect(new Set(planned.slice(2, 7)).size).toBeGreaterThan(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(hook.received).toHaveLength(8);
    } finally {
      await scaled.close();
    }
  }, 60_000);

  it("Retry-After on 429 is honoured within one to two times the scheduled delay", async () => {
    const hook = await receiver((_r, index) =>
      index === 0 ? { status: 429, headers: { "retry-after": "3600" } } : { status: 200 },
    );
    const { endpoint } = await createEndpoint(hook.url, ["contact.created"]);
    await createContact("Throttled Theo");
    await hook.waitFor(2);
    const [message] = await untilAccepted(
      "the delivery after Retry-After",
      () => messagesOf(endpoint.id),
      (items) => items[0]?.status === "delivered",
    );
    const { attempts } = await owner.client.webhooks.attempts.query({ workspaceId, messageId: message!.id });
    const first = attempts.find((a) => a.attempt === 1)!;
    const delay = first.nextAttemptAt!.getTime() - first.createdAt.getTime();
    // Scheduled 5 s ±20 % (scaled: 4–6 ms); an hour's Retry-After is capped at twice that (8–12 ms).
    expect(delay).toBeGreaterThanOrEqual(8);
    expect(delay).toBeLessThanOrEqual(12);
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
  });

  it("410 Gone disables the endpoint at once, with a reason and an activity event; re-enabling is one call", async () => {
    const hook = await receiver(() => ({ status: 410 }));
    const { endpoint } = await createEndpoint(hook.url, ["contact.created"]);
    await createContact("Gone Gus");
    await hook.waitFor(1);
    const disabled = await untilAccepted(
      "the endpoint to be disabled by the 410",
      () => owner.client.webhooks.get.query({ workspaceId, endpointId: endpoint.id }),
      (e) => !e.enabled,
    );
    expect(disabled.disabledReason).toMatch(/410/);
    const [message] = await messagesOf(endpoint.id);
    expect(message).toMatchObject({ status: "failed", attempts: 1 });
    const feed = await owner.client.activity.list.query({
      workspaceId,
      types: ["webhook.endpoint_disabled"],
      limit: 10,
    });
    expect(feed.items.map((item) => item.payload)).toContainEqual({
      endpointId: endpoint.id,
      reason: disabled.disabledReason,
    });
    // Nothing more is sent while disabled.
    await createContact("Gone Again");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hook.received).toHaveLength(1);
    // The workspace's admins are notified (the notifications module reads the same event); a plain member is not.
    const notified = await untilAccepted(
      "the admin's notification",
      async () => (await admin.client.notifications.list.query({})).items,
      (items) => items.some((n) => n.kind === "webhook.endpoint_disabled"),
    );
    expect(notified.find((n) => n.kind === "webhook.endpoint_disabled")?.payload).toMatchObject({
      endpointId: endpoint.id,
    });
    expect(
      (await member.client.notifications.list.query({})).items.some((n) => n.kind === "webhook.endpoint_disabled"),
    ).toBe(false);
    const enabled = await owner.client.webhooks.update.mutate({ workspaceId, endpointId: endpoint.id, enabled: true });
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null });
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
  });

  it("an endpoint whose deliveries only failed for 5 days is disabled; any success resets the clock", async () => {
    let failing = true;
    const hook = await receiver(() => ({ status: failing ? 500 : 200 }));
    const { endpoint } = await createEndpoint(hook.url, ["contact.created"]);
    const flaky = await receiver((_r, index) => ({ status: index === 1 ? 200 : 500 }));
    const { endpoint: flakyEndpoint } = await createEndpoint(flaky.url, ["contact.created"]);
    const start = clock.now();
    const service = app.runtime.services.webhooks.endpoints;
    // Access tokens follow the clock: sign in again after each move.
    const contactAt = async (name: string) =>
      (await app.signIn(owner)).client.contacts.create.mutate({ workspaceId, name });
    try {
      await createContact("Day Zero");
      await hook.waitFor(1);
      await flaky.waitFor(2); // the first attempt fails, the retry succeeds: its clock is reset
      clock.advance(4 * DAY_MS);
      await contactAt("Day Four");
      await hook.waitFor(2);
      await untilAccepted(
        "the failing endpoint's first attempt",
        () => service.get(workspaceId, endpoint.id),
        (e) => e.health.attempts24h >= 1,
      );
      expect((await service.get(workspaceId, endpoint.id)).enabled).toBe(true);
      clock.advance(DAY_MS + 60_000);
      await contactAt("Day Five");
      const disabled = await untilAccepted(
        "the failing endpoint to be disabled",
        () => service.get(workspaceId, endpoint.id),
        (e) => !e.enabled,
      );
      expect(disabled.disabledReason).toMatch(/5 days/);
      // The flaky endpoint succeeded on day zero: its failures started on day four, it stays enabled.
      await flaky.waitFor(4);
      await untilAccepted(
        "the flaky endpoint's attempt",
        () => service.get(workspaceId, flakyEndpoint.id),
        (e) => e.health.attempts24h >= 1,
      );
      expect((await service.get(workspaceId, flakyEndpoint.id)).enabled).toBe(true);
    } finally {
      failing = false;
      clock.set(start);
    }
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: flakyEndpoint.id });
  });

  it("a restricted contact's events are not delivered; an erasure goes out with ids only and scrubs stored bodies", async () => {
    const hook = await receiver();
    const { endpoint } = await createEndpoint(hook.url, ["*"]);
    const restricted = await createContact("Rita Restricted", "rita@example.com");
    const erased = await createContact("Erin Erased", "erin@example.com");
    await hook.waitFor(2);
    await owner.client.gdpr.restrictContact.mutate({ workspaceId, contactId: restricted.id });
    const types = () => hook.received.map((r) => JSON.parse(r.body) as { type: string; data: { id?: string } });
    // Editing the restricted contact is refused; deleting it (still allowed) commits, but is not
    // sent; the next change, to someone else, is.
    await expect(
      owner.client.contacts.update.mutate({ workspaceId, contactId: restricted.id, patch: { title: "Secret" } }),
    ).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [restricted.id] });
    await owner.client.contacts.update.mutate({ workspaceId, contactId: erased.id, patch: { title: "Visible" } });
    await untilAccepted(
      "the contact.updated delivery",
      async () => types(),
      (list) => list.some((p) => p.type === "contact.updated"),
    );
    await owner.client.gdpr.eraseContact.mutate({ workspaceId, contactId: erased.id, reason: "asked to be forgotten" });
    await untilAccepted(
      "the contact.erased delivery",
      async () => types(),
      (list) => list.some((p) => p.type === "contact.erased"),
    );
    const erasure = hook.received.find((r) => JSON.parse(r.body).type === "contact.erased")!;
    expect(JSON.parse(erasure.body).data).toEqual({ id: erased.id });
    expect(erasure.body).not.toContain("erin");
    expect(
      types()
        .filter((p) => p.data.id === restricted.id)
        .map((p) => p.type),
    ).toEqual(["contact.created"]);

    // The stored body of the erased contact's earlier message holds the id alone now.
    const rows = await app.sql<{ body: string; event_type: string }[]>`
      SELECT body, event_type FROM webhook_messages WHERE endpoint_id = ${endpoint.id}`;
    const all = rows
      .map((r) => r.body)
      .join("\n")
      .toLowerCase();
    expect(all).not.toContain("erin");
    expect(all).toContain("rita");
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
  });

  it("the signing secret is encrypted at rest: no dump of the database or Redis contains it", async () => {
    const hook = await receiver();
    const { endpoint, secret } = await createEndpoint(hook.url, ["contact.created"]);
    const { secret: rotated } = await owner.client.webhooks.rotateSecret.mutate({
      workspaceId,
      endpointId: endpoint.id,
    });
    await createContact("Dumped Dora");
    await hook.waitFor(1);
    const lines = await dumpLines(app);
    for (const value of [secret, rotated]) {
      const key = value.slice("whsec_".length).toLowerCase();
      expect(lines.filter((line) => line.text.includes(key))).toEqual([]);
      expect(lines.filter((line) => line.text.includes(Buffer.from(key, "base64").toString("hex")))).toEqual([]);
    }
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
  });

  it("replay sends the same message again now; recover re-sends what failed since a time, with progress", async () => {
    let up = false;
    const hook = await receiver(() => ({ status: up ? 200 : 410 }));
    const { endpoint } = await createEndpoint(hook.url, ["contact.created"]);
    await createContact("Lost Lola");
    await untilAccepted(
      "the endpoint to be disabled",
      () => owner.client.webhooks.get.query({ workspaceId, endpointId: endpoint.id }),
      (e) => !e.enabled,
    );
    const [failed] = await messagesOf(endpoint.id);
    expect(failed!.status).toBe("failed");
    up = true;
    const replayed = await owner.client.webhooks.replay.mutate({ workspaceId, messageId: failed!.id });
    expect(replayed).toMatchObject({ trigger: "manual", statusCode: 200, ok: true, attempt: 2 });
    expect(hook.received.at(-1)!.headers["webhook-id"]).toBe(failed!.id);

    up = false;
    await owner.client.webhooks.update.mutate({ workspaceId, endpointId: endpoint.id, enabled: true });
    // One transaction, so both events get their messages before the first 410 disables the
    // endpoint (an event committed after that has no message: disabled endpoints get none).
    await owner.client.contacts.bulkCreate.mutate({
      workspaceId,
      contacts: [{ name: "Lost Lena" }, { name: "Lost Lars" }],
    });
    await untilAccepted(
      "the endpoint to be disabled",
      () => owner.client.webhooks.get.query({ workspaceId, endpointId: endpoint.id }),
      (e) => !e.enabled,
    );
    await untilAccepted(
      "both messages to fail",
      () => owner.client.webhooks.messages.query({ workspaceId, endpointId: endpoint.id, status: "failed", limit: 10 }),
      (page) => page.items.length === 2,
    );
    up = true;
    await owner.client.webhooks.update.mutate({ workspaceId, endpointId: endpoint.id, enabled: true });
    expect(
      (
        await errorOf(
          owner.client.webhooks.recover.mutate({
            workspaceId,
            endpointId: endpoint.id,
            since: new Date(clock.now().getTime() - 15 * DAY_MS),
          }),
        )
      ).code,
    ).toBe("BAD_REQUEST");
    const { jobId } = await owner.client.webhooks.recover.mutate({
      workspaceId,
      endpointId: endpoint.id,
      since: new Date(clock.now().getTime() - DAY_MS),
    });
    const status = await untilAccepted(
      "the recovery job",
      () => owner.client.webhooks.recoverStatus.query({ workspaceId, jobId }),
      (s) => s.state === "completed",
    );
    expect(status).toMatchObject({ progress: 100, result: { requeued: 2 } });
    // The same job on the one progress channel the dashboard follows.
    expect(await owner.client.jobs.get.query({ jobId })).toMatchObject({
      kind: "webhooks.recover",
      state: "completed",
      percent: 100,
      done: 2,
      total: 2,
    });
    await untilAccepted(
      "the recovered deliveries",
      () =>
        owner.client.webhooks.messages.query({ workspaceId, endpointId: endpoint.id, status: "delivered", limit: 10 }),
      (page) => page.items.length === 3,
    );
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
  }, 120_000);

  it("one endpoint gets at most 4 requests at once, across worker instances; every message arrives once", async () => {
    // A second instance of the app (same database and Redis, its own workers) competes for the same jobs.
    const second = await createTestApp({ instanceOf: app, clock, env: WEBHOOK_ENV, role: "worker" });
    let inFlight = 0;
    let most = 0;
    const seen = new Set<string>();
    // Every first attempt fails at once, so the 24 retries come due together, each its own job;
    // the retries are answered slowly, and the receiver counts how many it holds at a time.
    const slow = await receiver((request) => {
      const id = String(request.headers["webhook-id"]);
      if (!seen.has(id)) {
        seen.add(id);
        return { status: 500 };
      }
      inFlight++;
      most = Math.max(most, inFlight);
      // Registered before the reply's own timer (same delay): the count drops before the answer leaves.
      setTimeout(() => inFlight--, 300);
      return { status: 200, delayMs: 300 };
    });
    // A rate limit far above what is sent: the concurrency cap is what holds the requests back.
    const { endpoint } = await owner.client.webhooks.create.mutate({
      workspaceId,
      url: slow.url,
      eventTypes: ["contact.created"],
      rateLimitPerSecond: 1_000,
    });
    try {
      await owner.client.contacts.bulkCreate.mutate({
        workspaceId,
        contacts: Array.from({ length: 24 }, (_, i) => ({ name: `Queued ${i}` })),
      });
      const received = await slow.waitFor(48, 60_000);
      await untilAccepted(
        "every message delivered once",
        () => messagesOf(endpoint.id),
        (items) => items.length === 24 && items.every((m) => m.status === "delivered"),
      );
      expect(new Set(received.map((r) => r.headers["webhook-id"])).size).toBe(24);
      expect(received).toHaveLength(48);
      expect(most).toBeLessThanOrEqual(4);
      expect(most).toBeGreaterThanOrEqual(2);
    } finally {
      await second.close();
    }
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
  });

  it("sendTest answers with the attempt; the daily job purges messages past retention", async () => {
    const hook = await receiver(() => ({ status: 202, body: "accepted" }));
    const { endpoint } = await createEndpoint(hook.url, ["contact.created"]);
    const attempt = await owner.client.webhooks.sendTest.mutate({ workspaceId, endpointId: endpoint.id });
    expect(attempt).toMatchObject({ statusCode: 202, ok: true, trigger: "manual", responseBody: "accepted" });
    expect(JSON.parse(hook.received[0]!.body)).toMatchObject({
      type: "webhook.test",
      data: { endpointId: endpoint.id },
    });
    expect(await messagesOf(endpoint.id)).toHaveLength(1);
    const start = clock.now();
    clock.advance(31 * DAY_MS);
    try {
      const { deleted } = await app.runtime.services.webhooks.log.purge();
      expect(deleted).toBeGreaterThanOrEqual(1);
      const left = await app.runtime.services.webhooks.log.messages({
        workspaceId,
        endpointId: endpoint.id,
        limit: 10,
      });
      expect(left.items).toHaveLength(0);
    } finally {
      clock.set(start);
    }
    await owner.client.webhooks.delete.mutate({ workspaceId, endpointId: endpoint.id });
  });
});

describe("outgoing webhooks on the embedded database (PGlite, no Redis)", () => {
  it("create an endpoint and deliver a contact.created through the in-process queue", async () => {
    const app = await createTestApp({ driver: "pglite", env: WEBHOOK_ENV });
    const hook = await startReceiver();
    try {
      const owner = await app.signUp("Pia PGlite");
      const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Embedded" })).id;
      const { endpoint, secret } = await owner.client.webhooks.create.mutate({
        workspaceId,
        url: hook.url,
        eventTypes: ["contact.created"],
      });
      const contact = await owner.client.contacts.create.mutate({ workspaceId, name: "Emma Embedded", email: null });
      const [request] = await hook.waitFor(1);
      expect(new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>)).toMatchObject({
        type: "contact.created",
        data: { id: contact.id, name: "Emma Embedded" },
      });
      await untilAccepted(
        "the delivery through the in-process queue",
        () => owner.client.webhooks.messages.query({ workspaceId, endpointId: endpoint.id, limit: 10 }),
        (page) => page.items[0]?.status === "delivered",
      );
    } finally {
      await hook.close();
      await app.close();
    }
  });
});

describe.each(["postgres", "pglite"] as const)("the event types webhook endpoints want (%s)", (driver) => {
  it("are the enabled endpoints' types, read again by the first batch once stale", async () => {
    const app = await createTestApp({ driver, env: WEBHOOK_ENV });
    try {
      const owner = await app.signUp("Wendy Wanted");
      const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Wanted" })).id;
      const FRESH_MS = 1_000;
      let now = 0;
      const wanted = new WantedWebhookTypes(FRESH_MS, () => now);
      const batch = () => app.runtime.database.db.transaction((tx) => wanted.refresh(tx));
      const stale = () => {
        now += FRESH_MS;
      };
      // The consumer's own: what commits start it is what its last batch read.
      const [consumer] = webhookEvents({ clock: app.clock } as ServiceDeps).consumers!;
      expect(consumer!.types).toBeUndefined();
      await app.runtime.database.db.transaction((tx) => consumer!.handle([], tx));
      expect(consumer!.types).toEqual([]);

      // Not read yet: every commit starts the consumer's batch.
      expect(wanted.current).toBeUndefined();
      await batch();
      // No endpoint anywhere: no commit does; the dispatcher's catch-up still runs it.
      expect(wanted.current).toEqual([]);

      const url = "http://127.0.0.1:9/hook";
      const { endpoint } = await owner.client.webhooks.create.mutate({
        workspaceId,
        url,
        eventTypes: ["member.added", "contact.updated"],
      });
      await batch();
      expect(wanted.current).toEqual([]); // fresh: not read again
      stale();
      expect(wanted.current).toBeUndefined(); // stale: every commit again, until a batch reads them
      await batch();
      expect(wanted.current).toEqual(["contact.updated", "member.added"]);

      // "*" is every type a receiver can subscribe to; a disabled endpoint wants nothing.
      const all = await owner.client.webhooks.create.mutate({ workspaceId, url, eventTypes: ["*"] });
      stale();
      await batch();
      expect(wanted.current).toContain("contact.created");
      expect(wanted.current).toContain("gmail.sync.failed");
      for (const endpointId of [endpoint.id, all.endpoint.id])
        await owner.client.webhooks.update.mutate({ workspaceId, endpointId, enabled: false });
      stale();
      await batch();
      expect(wanted.current).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
