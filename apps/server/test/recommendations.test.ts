import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";

/** What a list says, without the fields that describe how it was served. */
const essence = (list: { items: unknown[]; contactId: string; k: number; includeKnown: boolean }) => ({
  contactId: list.contactId,
  k: list.k,
  includeKnown: list.includeKnown,
  items: list.items,
});

describe("recommendations.forContact", () => {
  let app: TestApp;
  let owner: SignedInUser;
  let workspaceId: string;
  const ids: Record<string, string> = {};

  const forContact = (name: string, extra: { k?: number; includeKnown?: boolean } = {}) =>
    owner.client.recommendations.forContact.query({ workspaceId, contactId: ids[name]!, ...extra });
  const uncached = (name: string, extra: { k?: number; includeKnown?: boolean } = {}) =>
    app.runtime.services.recommendations.computeUncached({
      workspaceId,
      contactId: ids[name]!,
      k: extra.k ?? 20,
      includeKnown: extra.includeKnown ?? false,
    });
  /**
   * Runs writes and waits until their `events` events have reached this instance:
   * recommendations follow events, so an event heard late would move the cache on.
   */
  const heard = async <T>(write: () => Promise<T>, events = 1): Promise<T> => {
    let stop = () => {};
    let left = events;
    const arrived = new Promise<void>((resolve) => {
      stop = app.runtime.bus.subscribe((event) => {
        if (event.workspaceId === workspaceId && /^(contact|interaction)\./.test(event.type) && --left === 0) resolve();
      });
    });
    try {
      const result = await write();
      await arrived;
      return result;
    } finally {
      stop();
    }
  };
  const email = (...names: string[]) =>
    owner.client.interactions.create.mutate({
      workspaceId,
      contactId: ids[names[0]!]!,
      type: "email",
      direction: "outbound",
      occurredAt: app.clock.now(),
      subject: "Catch-up",
      participants: names.slice(1).map((name) => ({ contactId: ids[name]! })),
    });

  beforeAll(async () => {
    app = await createTestApp();
    owner = await app.signUp("Owner");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Recs" })).id;
    // 6 contacts and 3 emails: 9 events, all heard before the first test reads.
    await heard(async () => {
      for (const [name, company] of [
        ["Ana", "Acme"],
        ["Ben", "Globex"],
        ["Carla", "Initech"],
        ["Dan", "Acme"],
        ["Eve", null],
        ["Finn", null],
      ] as const) {
        ids[name] = (await owner.client.contacts.create.mutate({ workspaceId, name: `${name} Test`, company })).id;
      }
      // Ana knows Ben (2 threads); Ben knows Carla (1 thread); Dan is Ana's colleague at Acme.
      await email("Ana", "Ben");
      await email("Ben", "Ana");
      await email("Ben", "Carla");
    }, 9);
  });
  afterAll(() => app.close());

  it("suggests friends of friends and colleagues, with readable reasons, scored by the documented formula", async () => {
    const list = await forContact("Ana");
    // Carla via Ben: w(Ana,Ben)=2, w(Ben,Carla)=1, s(Ben)=3 → raw = 2/ln 4. Dan: colleague, direct β = 0.3.
    const raw = 2 / Math.log(4);
    expect(list.items).toEqual([
      {
        contactId: ids.Carla,
        name: "Carla Test",
        company: "Initech",
        score: Math.round((raw / (1 + raw)) * 1e6) / 1e6,
        reasons: ["1 shared thread with Ben Test"],
      },
      {
        contactId: ids.Dan,
        name: "Dan Test",
        company: "Acme",
        score: Math.round((0.3 / 1.3) * 1e6) / 1e6,
        reasons: ["same company: Acme"],
      },
    ]);
    expect(list).toMatchObject({ contactId: ids.Ana, k: 20, includeKnown: false, cached: false });
    expect(list.asOf).toBeInstanceOf(Date);
    expect(list.asOf.toISOString()).toBe(
      new Date(Math.floor(app.clock.now().getTime() / 86_400_000) * 86_400_000).toISOString(),
    );

    // Ben is known (2 threads ≥ threshold 1) and only listed on request.
    const withKnown = await forContact("Ana", { includeKnown: true });
    expect(withKnown.items[0]).toMatchObject({ contactId: ids.Ben, reasons: ["already in touch: 2 shared threads"] });
  });

  it("answers the second time from the cache, identically, and like the uncached computation", async () => {
    const first = await forContact("Ben", { k: 5 });
    const second = await forContact("Ben", { k: 5 });
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(essence(second)).toEqual(essence(first));
    expect(essence(await uncached("Ben", { k: 5 }))).toEqual(essence(first));
  });

  it("validates k and hides contacts of other workspaces or deleted ones", async () => {
    expect(await codeOf(forContact("Ana", { k: 0 }))).toBe("BAD_REQUEST");
    expect(await codeOf(forContact("Ana", { k: 101 }))).toBe("BAD_REQUEST");
    expect((await forContact("Ana", { k: 1 })).items).toHaveLength(1);
    const other = await app.signUp("Other");
    const otherWorkspace = (await other.client.workspaces.create.mutate({ name: "Other" })).id;
    const stranger = await other.client.contacts.create.mutate({ workspaceId: otherWorkspace, name: "Stranger" });
    const error = await errorOf(owner.client.recommendations.forContact.query({ workspaceId, contactId: stranger.id }));
    expect(error.code).toBe("NOT_FOUND");
    expect(await codeOf(other.client.recommendations.forContact.query({ workspaceId, contactId: ids.Ana! }))).toBe(
      "NOT_FOUND",
    );
  });

  it("reflects every change once its event has reached the instance (the first answer after that includes it)", async () => {
    expect((await forContact("Ana")).items.map((i) => i.contactId)).not.toContain(ids.Eve);
    await heard(() => email("Ben", "Eve"));
    const afterInteraction = await forContact("Ana");
    expect(afterInteraction.cached).toBe(false);
    expect(afterInteraction.items.map((i) => i.contactId)).toContain(ids.Eve);
    expect(essence(afterInteraction)).toEqual(essence(await uncached("Ana")));

    await heard(() =>
      owner.client.contacts.update.mutate({ workspaceId, contactId: ids.Carla!, patch: { name: "Carla Renamed" } }),
    );
    expect((await forContact("Ana")).items.find((i) => i.contactId === ids.Carla)?.name).toBe("Carla Renamed");

    await heard(() =>
      owner.client.contacts.update.mutate({ workspaceId, contactId: ids.Dan!, patch: { company: "Elsewhere" } }),
    );
    expect((await forContact("Ana")).items.map((i) => i.contactId)).not.toContain(ids.Dan);

    await heard(() => owner.client.contacts.delete.mutate({ workspaceId, contactIds: [ids.Carla!] }));
    const afterDelete = await forContact("Ana");
    expect(afterDelete.items.map((i) => i.contactId)).not.toContain(ids.Carla);
    expect(await codeOf(forContact("Carla"))).toBe("NOT_FOUND");

    await heard(() => owner.client.contacts.restore.mutate({ workspaceId, contactId: ids.Carla! }));
    expect((await forContact("Ana")).items.map((i) => i.contactId)).toContain(ids.Carla);

    const { interaction } = await heard(() => email("Ben", "Finn"));
    expect((await forContact("Ana")).items.map((i) => i.contactId)).toContain(ids.Finn);
    await heard(() => owner.client.interactions.delete.mutate({ workspaceId, interactionId: interaction.id }));
    expect((await forContact("Ana")).items.map((i) => i.contactId)).not.toContain(ids.Finn);
    expect(essence(await forContact("Ana", { includeKnown: true }))).toEqual(
      essence(await uncached("Ana", { includeKnown: true })),
    );
  });

  it("warm-up precomputes the most active contacts; its results equal uncached results", async () => {
    await app.runtime.services.cache.invalidateWorkspace(workspaceId);
    const started = await owner.client.cache.warmup.mutate({ workspaceId, limit: 10 });
    expect(started.jobId).toMatch(new RegExp(`^warmup-${workspaceId}-`));
    let status = started;
    for (let i = 0; i < 100 && status.state !== "completed" && status.state !== "failed"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await owner.client.cache.warmupStatus.query({ workspaceId, jobId: started.jobId });
    }
    // Top contacts by interaction count: Dan (no interactions) and Finn (his one was deleted) are not among them.
    expect(status).toMatchObject({ state: "completed", progress: 100, contactsCached: 4 });
    expect(status.recommendationsGenerated).toBeGreaterThan(0);
    expect(status.timeTakenSec).toBeGreaterThanOrEqual(0);
    // The same job's progress through the platform's progress channel.
    expect(await owner.client.jobs.get.query({ jobId: started.jobId })).toMatchObject({
      kind: "recommendations.warmup",
      state: "completed",
      percent: 100,
    });
    for (const name of ["Ana", "Ben", "Carla", "Eve"]) {
      const cached = await forContact(name);
      expect(cached.cached).toBe(true);
      expect(essence(cached)).toEqual(essence(await uncached(name)));
    }
  });
});

describe("recommendations warm-up after a bulk import", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it("is queued after 20 contacts created in one transaction, not after 20 created one by one within a second", async () => {
    const owner = await app.signUp("Warm-up");
    const oneByOne = (await owner.client.workspaces.create.mutate({ name: "One by one" })).id;
    const bulk = (await owner.client.workspaces.create.mutate({ name: "Bulk" })).id;
    // Import-triggered runs share one job id per workspace and minute (the test's clock stands still).
    const importJob = (workspaceId: string) =>
      `warmup-${workspaceId}-import-${Math.floor(app.clock.now().getTime() / 60_000)}`;
    const queued = async (workspaceId: string) =>
      (await codeOf(owner.client.cache.warmupStatus.query({ workspaceId, jobId: importJob(workspaceId) })).catch(
        () => "FOUND",
      )) !== "NOT_FOUND";
    for (let i = 0; i < 20; i++)
      await owner.client.contacts.create.mutate({ workspaceId: oneByOne, name: `One by one ${i}` });
    await owner.client.contacts.bulkCreate.mutate({
      workspaceId: bulk,
      contacts: Array.from({ length: 20 }, (_, i) => ({ name: `Bulk ${i}` })),
    });
    const deadline = Date.now() + 10_000;
    while (!(await queued(bulk))) {
      if (Date.now() > deadline) throw new Error("timed out waiting for the bulk import's warm-up");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The consumer's batches come a second apart: the one-by-one creates have been handled too.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await queued(oneByOne)).toBe(false);
  });
});
