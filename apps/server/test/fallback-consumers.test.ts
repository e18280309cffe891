/**
 * The broadcast relay and the cache's durable consumer are fallbacks: every instance acts on a
 * commit's own wake-up first (commit listeners). Under a steady stream of commits they run
 * fewer, larger batches (FALLBACK_BATCH_GAP_MS); an isolated commit still goes at once.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, TEST_REDIS_URL, type SignedInUser, type TestApp } from "./support/app";
import { joinWorkspace } from "./support/members";

describe("the broadcast relay under a stream of commits", () => {
  let app: TestApp;
  let owner: SignedInUser;
  let workspaceId: string;
  let subscriber: Redis;
  /** The relay's broadcasts (one a batch), with when they came. */
  const broadcasts: { at: number; types: string[] }[] = [];

  beforeAll(async () => {
    app = await createTestApp();
    owner = await app.signUp("Owner");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Relay" })).id;
    subscriber = new Redis(TEST_REDIS_URL);
    await subscriber.subscribe(`${app.redisPrefix}events`);
    subscriber.on("message", (_, message) => {
      const events = JSON.parse(message) as { type: string }[];
      broadcasts.push({ at: performance.now(), types: events.map((event) => event.type) });
    });
  });

  afterAll(async () => {
    await subscriber?.quit();
    await app?.close();
  });

  const create = (name: string) => owner.client.contacts.create.mutate({ workspaceId, name });

  it("broadcasts an isolated commit at once, without waiting out a gap", async () => {
    await create("Warm-up");
    await new Promise((resolve) => setTimeout(resolve, 600)); // longer than any gap since the last batch
    const before = broadcasts.length;
    const committed = performance.now();
    await create("Isolated");
    await expect.poll(() => broadcasts.length > before, { timeout: 5_000 }).toBe(true);
    expect(broadcasts[before]!.types).toContain("contact.created");
    expect(broadcasts[before]!.at - committed).toBeLessThan(200);
  });

  it("carries a burst of commits in a few batches, each event once", async () => {
    await new Promise((resolve) => setTimeout(resolve, 600));
    const before = broadcasts.length;
    const started = performance.now();
    const count = 60;
    for (let i = 0; i < count; i++) await create(`Burst ${i}`);
    const elapsed = performance.now() - started;
    await expect
      .poll(
        () =>
          broadcasts
            .slice(before)
            .flatMap((b) => b.types)
            .filter((t) => t === "contact.created").length,
        {
          timeout: 10_000,
        },
      )
      .toBe(count);
    const batches = broadcasts.length - before;
    // One batch a quarter second at most (and the last); at the 50 ms gap of other consumers
    // this burst (a commit every ~10–30 ms) took one every 50 ms.
    expect(batches, `${batches} batches in ${Math.round(elapsed)} ms`).toBeLessThanOrEqual(
      Math.ceil(elapsed / 250) + 2,
    );
  });
});

describe("another instance acts on a commit's wake-up, without the relay", () => {
  let app: TestApp;
  let other: TestApp;
  let owner: SignedInUser;
  let member: SignedInUser;
  let workspaceId: string;

  beforeAll(async () => {
    app = await createTestApp();
    owner = await app.signUp("Owner");
    member = await app.signUp("Member");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Wake-ups" })).id;
    await joinWorkspace(owner, workspaceId, member);
    other = await createTestApp({ instanceOf: app });
    // No batch runs anywhere from now on: no relayed event can tell the other instance.
    await other.runtime.dispatcher.stop();
    await app.runtime.dispatcher.stop();
  });

  afterAll(async () => {
    await other?.close();
    await app?.close();
  });

  const outcome = (request: Promise<unknown>) =>
    request.then(
      () => "ok",
      async () => (await errorOf(request)).code,
    );

  it("a member removed on one instance is refused on the other at once (its role there was cached)", async () => {
    const there = other.client(member.accessToken);
    await expect(there.contacts.list.query({ workspaceId })).resolves.toBeDefined();
    await owner.client.workspaces.removeMember.mutate({ workspaceId, userId: member.userId });
    await expect.poll(() => outcome(there.contacts.list.query({ workspaceId })), { timeout: 2_000 }).not.toBe("ok");
  });

  it("a user's restriction of processing on one instance stops it on the other at once", async () => {
    const there = other.client(owner.accessToken);
    await expect(there.analytics.metrics.query({ workspaceId })).resolves.toBeDefined();
    await owner.client.gdpr.restrict.mutate();
    await expect
      .poll(() => outcome(there.analytics.metrics.query({ workspaceId })), { timeout: 2_000 })
      .toBe("FORBIDDEN");
  });
});
