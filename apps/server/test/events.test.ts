import type { DomainEvent, EventConsumer } from "@rapport/api";
import { createDatabase, domainEvents, queryRows, type Database } from "@rapport/db";
import { inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventDispatcher } from "../../../packages/api/src/platform/events/dispatcher";
import {
  advisoryLease,
  LEASE_SESSION,
  type DispatcherLease,
  type LeaseCheck,
} from "../../../packages/api/src/platform/events/lease";
import { newestCommittedPosition, readCommittedEvents } from "../../../packages/api/src/platform/events/committed";
import { createLogger } from "../../../packages/api/src/logger";
import {
  createTestApp,
  createTestDatabase,
  createTestPgliteDir,
  errorOf,
  type SignedInUser,
  type TestApp,
  type TestDriver,
} from "./support/app";
import { joinWorkspace } from "./support/members";
import { until } from "./support/until";

describe("domain events (outbox)", () => {
  let app: TestApp;
  let owner: SignedInUser;
  let workspaceId: string;

  beforeAll(async () => {
    app = await createTestApp();
    owner = await app.signUp();
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Events" })).id;
  });
  afterAll(() => app.close());

  it("each mutation writes its event with workspace, actor, type and payload", async () => {
    const contact = await owner.client.contacts.create.mutate({ workspaceId, name: "Ana", email: "ana@ev.example" });
    await owner.client.contacts.update.mutate({ workspaceId, contactId: contact.id, patch: { company: "Acme" } });
    const { interaction } = await owner.client.interactions.create.mutate({
      workspaceId,
      contactId: contact.id,
      type: "email",
      direction: "outbound",
      occurredAt: new Date(),
      subject: "Catch-up",
    });
    await owner.client.interactions.delete.mutate({ workspaceId, interactionId: interaction.id });
    await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [contact.id] });
    await owner.client.contacts.restore.mutate({ workspaceId, contactId: contact.id });
    const other = await app.signUp();
    await joinWorkspace(owner, workspaceId, other);
    await owner.client.workspaces.setRole.mutate({ workspaceId, userId: other.userId, role: "admin" });
    await owner.client.workspaces.removeMember.mutate({ workspaceId, userId: other.userId });

    const rows =
      await app.sql`SELECT id, type, actor_id, payload FROM domain_events WHERE workspace_id = ${workspaceId} ORDER BY id`;
    expect(rows.map((r) => r.type)).toEqual([
      "workspace.created",
      "member.added",
      "contact.created",
      "contact.updated",
      "interaction.created",
      "interaction.deleted",
      "contact.deleted",
      "contact.restored",
      "invitation.created",
      "invitation.accepted",
      "member.added",
      "member.role_changed",
      "member.removed",
    ]);
    // The invitee accepts (and so joins) themselves; everything else is the owner's doing.
    expect(rows.filter((r) => r.actor_id !== owner.userId).map((r) => r.type)).toEqual([
      "invitation.accepted",
      "member.added",
    ]);
    expect(rows.filter((r) => r.actor_id !== owner.userId).every((r) => r.actor_id === other.userId)).toBe(true);
    const ids = rows.map((r) => Number(r.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(rows[3]!.payload).toEqual({ contactId: contact.id, fields: ["company"] });
    // Payloads carry ids, never personal values.
    expect(JSON.stringify(rows.map((r) => r.payload))).not.toContain("ana@ev.example");
  });

  it("an event exists if and only if its transaction committed", async () => {
    // This workspace's events: notices to members (of no workspace) are written by a consumer meanwhile.
    const before = await app.sql`SELECT count(*)::int AS n FROM domain_events WHERE workspace_id = ${workspaceId}`;
    // Fails inside the transaction after the contact insert would have happened: duplicate email.
    await owner.client.contacts.create.mutate({ workspaceId, name: "Bo", email: "bo@ev.example" });
    const mid = await app.sql`SELECT count(*)::int AS n FROM domain_events WHERE workspace_id = ${workspaceId}`;
    expect(mid[0]!.n).toBe(before[0]!.n + 1);
    await errorOf(
      owner.client.contacts.bulkCreate.mutate({
        workspaceId,
        contacts: [
          { name: "X", email: "x@ev.example" },
          { name: "Bo", email: "bo@ev.example" },
        ],
      }),
    );
    await errorOf(
      owner.client.contacts.update.mutate({
        workspaceId,
        contactId: "00000000-0000-4000-8000-000000000000",
        patch: { name: "nobody" },
      }),
    );
    const after = await app.sql`SELECT count(*)::int AS n FROM domain_events WHERE workspace_id = ${workspaceId}`;
    expect(after[0]!.n).toBe(mid[0]!.n);

    // A transaction that writes an event and then rolls back leaves nothing.
    await app.runtime.database.db
      .transaction(async (tx) => {
        await tx.insert(domainEvents).values({
          workspaceId,
          actorId: owner.userId,
          type: "contact.updated",
          payload: { contactId: "x", fields: [] },
        });
        throw new Error("rollback");
      })
      .catch(() => {});
    expect(
      (await app.sql`SELECT count(*)::int AS n FROM domain_events WHERE workspace_id = ${workspaceId}`)[0]!.n,
    ).toBe(mid[0]!.n);
  });

  it("reaches every instance's live listeners through Redis pub/sub", async () => {
    const heard: DomainEvent[] = [];
    const unsubscribe = app.runtime.bus.subscribe((event) => heard.push(event));
    const contact = await owner.client.contacts.create.mutate({ workspaceId, name: "Live" });
    for (let i = 0; i < 50 && !heard.some((e) => e.payload.contactId === contact.id); i++)
      await new Promise((r) => setTimeout(r, 20));
    unsubscribe();
    const event = heard.find((e) => e.payload.contactId === contact.id);
    expect(event).toMatchObject({ type: "contact.created", workspaceId, actorId: owner.userId });
    expect(event!.createdAt).toBeInstanceOf(Date);
  });

  it("activity.list pages newest first and filters by type", async () => {
    const page1 = await owner.client.activity.list.query({ workspaceId, limit: 3 });
    expect(page1.items).toHaveLength(3);
    const page2 = await owner.client.activity.list.query({ workspaceId, limit: 3, cursor: page1.nextCursor });
    expect(page2.items[0]!.id).toBeLessThan(page1.items[2]!.id);
    const members = await owner.client.activity.list.query({ workspaceId, types: ["member.added", "member.removed"] });
    expect(new Set(members.items.map((e) => e.type))).toEqual(new Set(["member.added", "member.removed"]));
    expect(
      (await errorOf(owner.client.activity.list.query({ workspaceId, types: ["nope" as "member.added"] }))).code,
    ).toBe("BAD_REQUEST");
  });

  it("activity.list names each event's contact as it is now; a restricted contact goes unnamed", async () => {
    const named = await owner.client.contacts.create.mutate({ workspaceId, name: "Jens Holt" });
    await owner.client.contacts.update.mutate({ workspaceId, contactId: named.id, patch: { name: "Jens Holt-Berg" } });
    const restricted = await owner.client.contacts.create.mutate({ workspaceId, name: "Private Person" });
    await owner.client.gdpr.restrictContact.mutate({ workspaceId, contactId: restricted.id });
    const { items } = await owner.client.activity.list.query({
      workspaceId,
      types: ["contact.created", "contact.updated"],
      limit: 3,
    });
    expect(items.map((item) => [item.type, item.payload.contactId, item.contactName])).toEqual([
      ["contact.created", restricted.id, null],
      ["contact.updated", named.id, "Jens Holt-Berg"],
      ["contact.created", named.id, "Jens Holt-Berg"],
    ]);
    // Events of no contact carry no name.
    const [created] = (await owner.client.activity.list.query({ workspaceId, types: ["workspace.created"] })).items;
    expect(created?.contactName).toBeNull();
  });

  it("activity.list shows a plain member what the live feed would: no invitations or restrictions", async () => {
    const member = await app.signUp();
    await joinWorkspace(owner, workspaceId, member);
    const admin = await app.signUp();
    await joinWorkspace(owner, workspaceId, admin, "admin");
    const types = async (user: SignedInUser, filter?: "invitation.created"[]) =>
      (await user.client.activity.list.query({ workspaceId, limit: 100, ...(filter && { types: filter }) })).items.map(
        (e) => e.type,
      );
    expect(await types(admin)).toContain("invitation.created");
    const seenByMember = await types(member);
    expect(seenByMember).toContain("member.added");
    expect(seenByMember.filter((type) => type.startsWith("invitation."))).toEqual([]);
    // Asking for them by name does not reveal them either.
    expect(await types(member, ["invitation.created"])).toEqual([]);
  });
});

describe("event dispatcher", () => {
  let database: Database;
  let url: string;
  let drop: () => Promise<void>;
  const log = createLogger("silent");

  beforeAll(async () => {
    const { createTestDatabase } = await import("./support/app");
    const created = await createTestDatabase();
    url = created.url;
    drop = created.drop;
    database = await createDatabase({ url: created.url, poolSize: 4 });
  });
  afterAll(async () => {
    await database.close();
    await drop();
  });

  const insertEvent = (tx: Database["db"], n: number) =>
    tx.insert(domainEvents).values({ type: "contact.updated", payload: { contactId: `c${n}`, fields: [] } });

  it("reads in transaction-id order when the ids gain a digit (9 before 10), for consumers and for the newest position", async () => {
    // Runs first, on an empty outbox: transaction ids 9 and 10 are long finished on any cluster.
    await database.db
      .insert(domainEvents)
      .values(
        ["10", "9"].map((txId) => ({ txId, type: "contact.updated", payload: { contactId: `c${txId}`, fields: [] } })),
      );
    try {
      const firstOne = await readCommittedEvents(database.db, { after: { txId: "8", id: 0 }, limit: 1 });
      expect(firstOne.map((e) => e.txId)).toEqual(["9"]);
      const both = await readCommittedEvents(database.db, { after: { txId: "8", id: 0 }, limit: 10 });
      expect(both.map((e) => e.txId)).toEqual(["9", "10"]);
      expect((await newestCommittedPosition(database.db)).txId).toBe("10");
      // And a consumer's batch, from the start of the outbox.
      const seen: string[] = [];
      const dispatcher = new EventDispatcher(database, log, 10_000);
      dispatcher.register({
        name: "digit-order",
        startFrom: "beginning",
        handle: async (events) => void seen.push(...events.map((e) => String(e.payload.contactId))),
      });
      expect(await dispatcher.drain()).toBe(true);
      expect(seen).toEqual(["c9", "c10"]);
    } finally {
      await database.db.delete(domainEvents).where(inArray(domainEvents.txId, ["9", "10"]));
    }
  });

  it("never skips an event whose lower id commits after a higher one", async () => {
    const seen: number[] = [];
    const consumer: EventConsumer = {
      name: "late-commit",
      handle: async (events) => void seen.push(...events.map((e) => Number(String(e.payload.contactId).slice(1)))),
    };
    const dispatcher = new EventDispatcher(database, log, 10_000);
    dispatcher.register(consumer);

    let releaseSlow!: () => void;
    const slowInserted = new Promise<void>((resolve) => {
      // Transaction 1 takes its id first but commits last.
      void database.db.transaction(async (tx) => {
        await insertEvent(tx as unknown as Database["db"], 1);
        resolve();
        await new Promise<void>((r) => (releaseSlow = r));
      });
    });
    await slowInserted;
    await insertEvent(database.db, 2); // commits immediately, higher id
    expect(await dispatcher.drain({ timeoutMs: 300 })).toBe(false);
    expect(seen).toEqual([]); // 2 is held back while an older transaction is open
    releaseSlow();
    expect(await dispatcher.drain()).toBe(true);
    expect(seen).toEqual([1, 2]);
  });

  it("announces the end of each batch that moved its cursor, with the transaction id its cursor update took", async () => {
    const ended: string[] = [];
    const dispatcher = new EventDispatcher(database, log, 10_000, 1, { batchEnded: (txId) => ended.push(txId) });
    dispatcher.register({ name: "announced", startFrom: "now", handle: async () => {} });
    expect(await dispatcher.drain()).toBe(true);
    expect(ended).toEqual([]); // nothing delivered: no cursor moved, no xid taken
    await insertEvent(database.db, 1);
    expect(await dispatcher.drain()).toBe(true);
    expect(ended).toHaveLength(1);
    // The cursor row's xmin is that transaction (its 32 low bits).
    const [row] = await queryRows<{ xmin: string }>(
      database.db,
      sql`SELECT xmin::text AS xmin FROM event_consumers WHERE name = 'announced'`,
    );
    expect(BigInt(ended[0]!) % 2n ** 32n).toBe(BigInt(row!.xmin));
  });

  it("a consumer with its own batch gap gets the commits of that gap in one batch; stopping does not wait it out", async () => {
    const dispatcher = new EventDispatcher(database, log, 10_000, 2);
    const batches: string[][] = [];
    const fast: string[] = [];
    dispatcher.register({
      name: "gapped",
      startFrom: "now",
      batchGapMs: 1_500,
      handle: async (events) => void batches.push(events.map((e) => String(e.payload.contactId))),
    });
    dispatcher.register({
      name: "beside-gapped",
      startFrom: "now",
      handle: async (events) => void fast.push(...events.map((e) => String(e.payload.contactId))),
    });
    await dispatcher.start();
    await insertEvent(database.db, 401);
    dispatcher.wake();
    await until("the first batch", async () => batches.length === 1, 5_000);
    for (const n of [402, 403, 404]) {
      await insertEvent(database.db, n);
      dispatcher.wake();
      await until(`c${n} beside it`, async () => fast.includes(`c${n}`), 5_000);
    }
    // The default gap let the other consumer run for each; this one waits out its own.
    expect(batches).toEqual([["c401"]]);
    await until("the next batch", async () => batches.length === 2, 5_000);
    expect(batches[1]).toEqual(["c402", "c403", "c404"]);
    await insertEvent(database.db, 405);
    dispatcher.wake();
    await until("c405 beside it", async () => fast.includes("c405"), 5_000);
    const stopping = performance.now();
    await dispatcher.stop();
    expect(performance.now() - stopping).toBeLessThan(1_000);
  });

  it("a slow consumer holds back only itself: the others' batches run beside it", async () => {
    const dispatcher = new EventDispatcher(database, log, 10_000, 2);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow: string[] = [];
    const fast: string[] = [];
    // Registered first: a dispatcher that ran its consumers one after another would wait for it.
    dispatcher.register({
      name: "slow-lane",
      startFrom: "now",
      handle: async (events) => {
        await released;
        slow.push(...events.map((e) => String(e.payload.contactId)));
      },
    });
    dispatcher.register({
      name: "fast-lane",
      startFrom: "now",
      handle: async (events) => void fast.push(...events.map((e) => String(e.payload.contactId))),
    });
    await dispatcher.start();
    try {
      await insertEvent(database.db, 300);
      dispatcher.wake();
      await until("the fast consumer to get the event", async () => fast.includes("c300"), 5_000);
      expect(slow).toEqual([]);
    } finally {
      release();
    }
    expect(await dispatcher.drain()).toBe(true);
    await dispatcher.stop();
    expect(slow).toEqual(["c300"]);
    expect(fast).toEqual(["c300"]);
  });

  it("a batch in progress does not hold back the horizon: events committed during it reach the other consumers", async () => {
    const dispatcher = new EventDispatcher(database, log, 10_000, 2);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let slowStarted!: () => void;
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    const fast: string[] = [];
    dispatcher.register({
      name: "slow-reader",
      startFrom: "now",
      handle: async () => {
        slowStarted();
        await released;
      },
    });
    dispatcher.register({
      name: "quick-reader",
      startFrom: "now",
      handle: async (events) => void fast.push(...events.map((e) => String(e.payload.contactId))),
    });
    await dispatcher.start();
    try {
      await insertEvent(database.db, 400);
      dispatcher.wake();
      await started;
      // Committed while the slow batch's transaction is open: were that transaction holding
      // an xid (a row lock takes one), the horizon would stay below this event until it ended.
      await insertEvent(database.db, 401);
      dispatcher.wake();
      await until("the quick consumer to get the later event", async () => fast.includes("c401"), 5_000);
    } finally {
      release();
    }
    expect(await dispatcher.drain()).toBe(true);
    await dispatcher.stop();
    expect(fast).toEqual(["c400", "c401"]);
  });

  it("redelivers after a consumer failure (at least once), in order", async () => {
    const seen: string[] = [];
    let failures = 1;
    const dispatcher = new EventDispatcher(database, log, 10_000);
    dispatcher.register({
      name: "flaky",
      startFrom: "now",
      handle: async (events) => {
        if (failures-- > 0) throw new Error("temporary");
        seen.push(...events.map((e) => String(e.payload.contactId)));
      },
    });
    await dispatcher.drain();
    await insertEvent(database.db, 10);
    await insertEvent(database.db, 11);
    await expect(dispatcher.drain()).rejects.toThrow("temporary");
    await dispatcher.drain();
    expect(seen).toEqual(["c10", "c11"]);
    // Nothing is delivered twice once acknowledged.
    await dispatcher.drain();
    expect(seen).toEqual(["c10", "c11"]);
  });

  it("refuses to run a batch on a connection whose transactions are not READ COMMITTED", async () => {
    // One connection, its transactions switched to REPEATABLE READ as a pooler or a session
    // setting could: the batch would read a stale cursor, or pass a running transaction.
    const { createTestDatabase } = await import("./support/app");
    const created = await createTestDatabase();
    const single = await createDatabase({ url: created.url, poolSize: 1 });
    try {
      await single.db.execute(sql`SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
      const seen: string[] = [];
      const dispatcher = new EventDispatcher(single, log, 10_000);
      dispatcher.register({
        name: "isolated",
        handle: async (events) => void seen.push(...events.map((e) => String(e.payload.contactId))),
      });
      await insertEvent(single.db, 1);
      await expect(dispatcher.drain()).rejects.toThrow("READ COMMITTED");
      expect(seen).toEqual([]);
      await single.db.execute(sql`SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED`);
      expect(await dispatcher.drain()).toBe(true);
      expect(seen).toEqual(["c1"]);
    } finally {
      await single.close();
      await created.drop();
    }
  });

  it("two dispatchers (two instances) deliver each event once between them", async () => {
    const seen: string[] = [];
    const make = () => {
      const d = new EventDispatcher(database, log, 10_000);
      d.register({
        name: "shared",
        startFrom: "now",
        handle: async (events) => void seen.push(...events.map((e) => String(e.payload.contactId))),
      });
      return d;
    };
    const [one, two] = [make(), make()];
    await one.drain();
    for (let i = 100; i < 160; i++) await insertEvent(database.db, i);
    await Promise.all([one.drain(), two.drain()]);
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => `c${100 + i}`));
  });

  it("with a lease, one instance runs the batches and the other none; when the holder dies, the other takes over", async () => {
    const handled: string[] = [];
    const make = async (instance: string) => {
      // The lease's connection stands for the instance's session: closing it is the process dying.
      const leaseDatabase = await createDatabase({ url, poolSize: 1, session: LEASE_SESSION });
      const lease = advisoryLease(async () => leaseDatabase);
      // A process that dies gives nothing up: only its session's end frees the lease.
      const dispatcher = new EventDispatcher(database, log, 10_000, 1, {
        lease: { ...lease, release: async () => {} },
        leaseCheckMs: 50,
      });
      dispatcher.register({
        name: "leased",
        startFrom: "now",
        handle: async (events) => void handled.push(...events.map((e) => `${instance}:${String(e.payload.contactId)}`)),
      });
      await dispatcher.start();
      return { dispatcher, leaseDatabase };
    };
    const one = await make("one");
    const two = await make("two");
    try {
      expect(one.dispatcher.isLeading).toBe(true);
      expect(two.dispatcher.isLeading).toBe(false);
      for (let i = 500; i < 510; i++) {
        await insertEvent(database.db, i);
        one.dispatcher.wake();
        two.dispatcher.wake();
      }
      await until("the holder to deliver the events", async () => handled.includes("one:c509"), 5_000);
      // A few lease checks later the other still has run nothing.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(two.dispatcher.isLeading).toBe(false);
      expect(handled).toEqual(Array.from({ length: 10 }, (_, i) => `one:c${500 + i}`));

      // The holder dies: it runs nothing more, and what commits meanwhile waits, until its
      // session ends and the other instance takes the lease over and catches up.
      await one.dispatcher.stop();
      await insertEvent(database.db, 510);
      two.dispatcher.wake();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(two.dispatcher.isLeading).toBe(false);
      expect(handled).toHaveLength(10);
      await one.leaseDatabase.close();
      await until("the other instance to take over and deliver", async () => handled.includes("two:c510"), 5_000);
      expect(two.dispatcher.isLeading).toBe(true);
      expect(handled.slice(10)).toEqual(["two:c510"]);

      // It holds on to the lease over its later checks, and delivers what it is woken for.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(two.dispatcher.isLeading).toBe(true);
      await insertEvent(database.db, 511);
      two.dispatcher.wake();
      await until("the new holder to deliver a woken event", async () => handled.includes("two:c511"), 5_000);
    } finally {
      await one.dispatcher.stop();
      await two.dispatcher.stop();
      await one.leaseDatabase.close().catch(() => {});
      await two.leaseDatabase.close();
    }
  });

  it("a consumer of some types runs for commits that name one of them, catching up on the others in order", async () => {
    const dispatcher = new EventDispatcher(database, log, 10_000, 2, { catchUpMs: 60_000 });
    const everything: string[] = [];
    const removals: string[] = [];
    dispatcher.register({
      name: "every-type",
      startFrom: "now",
      handle: async (events) => void everything.push(...events.map((e) => e.type)),
    });
    dispatcher.register({
      name: "removals-only",
      startFrom: "now",
      types: ["member.removed"],
      handle: async (events) => void removals.push(...events.map((e) => e.type)),
    });
    await dispatcher.start();
    try {
      expect(await dispatcher.drain()).toBe(true);
      const commitOf = (type: "contact.updated" | "member.removed") => ({
        txId: null,
        events: [{ id: 1, workspaceId: null, type }],
      });
      await insertEvent(database.db, 600);
      dispatcher.wake(commitOf("contact.updated"));
      await until("the consumer of every type to get the event", async () => everything.length === 1, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(removals).toEqual([]);

      await database.db.insert(domainEvents).values({ type: "member.removed", payload: { userId: "u1" } });
      dispatcher.wake(commitOf("member.removed"));
      // Handed every event since its cursor, in commit order.
      await until("the typed consumer to run", async () => removals.length === 2, 5_000);
      expect(removals).toEqual(["contact.updated", "member.removed"]);
      expect(everything).toEqual(["contact.updated", "member.removed"]);

      // A commit that does not name its events starts every consumer.
      await insertEvent(database.db, 601);
      dispatcher.wake({ txId: null, events: null });
      await until("both consumers to get the unnamed commit", async () => removals.length === 3, 5_000);
    } finally {
      await dispatcher.stop();
    }
  });
  it("the lease's session is never recycled and ends on the server once it goes silent, with the TCP probes set", async () => {
    const leaseDatabase = await createDatabase({ url, poolSize: 1, session: LEASE_SESSION });
    try {
      const [row] = await queryRows<Record<string, string | boolean>>(
        leaseDatabase.db,
        sql`SELECT current_setting('idle_session_timeout') AS idle, current_setting('statement_timeout') AS statement,
                   current_setting('lock_timeout') AS lock, inet_server_addr() IS NOT NULL AS tcp,
                   current_setting('tcp_keepalives_idle') AS keepalive_idle,
                   current_setting('tcp_keepalives_interval') AS keepalive_interval,
                   current_setting('tcp_keepalives_count') AS keepalive_count, current_setting('tcp_user_timeout') AS user_timeout`,
      );
      expect(row).toMatchObject({ idle: "10s", statement: "2s", lock: "2s" });
      // Over a Unix socket the server shows the TCP settings as 0: they do not apply.
      if (row?.tcp)
        expect(row).toMatchObject({
          keepalive_idle: "5",
          keepalive_interval: "2",
          keepalive_count: "3",
          user_timeout: "10000",
        });
      const client = (leaseDatabase.db as unknown as { $client: { options: { max_lifetime: unknown } } }).$client;
      expect(client.options.max_lifetime).toBeNull();
    } finally {
      await leaseDatabase.close();
    }
  });

  it("a holder that goes silent without closing its connection loses the lease once its session idles out", async () => {
    const handled: string[] = [];
    // A key of this test's own: the lock's holder is looked up in pg_locks.
    const key = 730_412_978;
    const holder = async () => {
      const [row] = await queryRows<{ pid: number }>(
        database.db,
        sql`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objsubid = 1
              AND objid::bigint = ${key}::bigint
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      return row ? Number(row.pid) : null;
    };
    // A frozen holder: it took the lease, then never sends anything again, its connection open.
    const frozen = await createDatabase({ url, poolSize: 1, session: { idleTimeoutMs: 2_500 } });
    const frozenLease = advisoryLease(async () => frozen, key);
    const frozenCheck = await frozenLease.check();
    expect(frozenCheck.held).toBe(true);
    expect(await holder()).toBe(frozenCheck.session);
    const sessions: number[] = [];
    const lease = advisoryLease(async () => {
      const opened = await createDatabase({ url, poolSize: 1, session: LEASE_SESSION });
      // Its last statement just before the other instance's first check, however long the
      // start took on a loaded machine: that check must find the lease still held.
      if (sessions.length === 0) await frozenLease.check();
      return opened;
    }, key);
    const check = lease.check.bind(lease);
    lease.check = async () => {
      const found = await check();
      sessions.push(found.session);
      return found;
    };
    const dispatcher = new EventDispatcher(database, log, 10_000, 1, { lease, leaseCheckMs: 50 });
    dispatcher.register({
      name: "after-frozen-holder",
      startFrom: "now",
      handle: async (events) => void handled.push(...events.map((e) => String(e.payload.contactId))),
    });
    try {
      await dispatcher.start();
      expect(dispatcher.isLeading).toBe(false);
      expect(sessions).toHaveLength(1);
      await insertEvent(database.db, 700);
      // The lock moves from the frozen session to the dispatcher's once the server ends the former.
      await until(
        "the other instance to take the lease over",
        async () => dispatcher.isLeading && (await holder()) === sessions.at(-1),
        20_000,
      );
      expect(sessions.at(-1)).not.toBe(frozenCheck.session);
      expect(dispatcher.isUnleased).toBe(false);
      await until("it to deliver", async () => handled.includes("c700"), 10_000);
    } finally {
      await dispatcher.stop();
      await lease.close();
      await frozen.close().catch(() => {});
    }
  });

  /** A lease whose checks the test scripts. */
  const scriptedLease = (next: () => Promise<LeaseCheck>) => {
    const calls = { checks: 0, releases: 0, resets: 0 };
    const lease: DispatcherLease = {
      check: () => {
        calls.checks++;
        return next();
      },
      release: async () => void calls.releases++,
      reset: () => void calls.resets++,
      close: async () => {},
    };
    return { lease, calls };
  };

  it("a lease check that never answers is given up: the connection is replaced, the lease lost, and stop() does not wait for it", async () => {
    let answer: "held" | "hang" = "held";
    const { lease, calls } = scriptedLease(() =>
      answer === "held" ? Promise.resolve({ held: true, session: 1, expires: true }) : new Promise<never>(() => {}),
    );
    const dispatcher = new EventDispatcher(database, log, 10_000, 1, {
      lease,
      leaseCheckMs: 20,
      leaseCheckTimeoutMs: 100,
    });
    try {
      await dispatcher.start();
      expect(dispatcher.isLeading).toBe(true);
      answer = "hang";
      await until("the hung check to be given up", async () => calls.resets >= 1, 5_000);
      expect(dispatcher.isLeading).toBe(false);
      const stopping = Date.now();
      await dispatcher.stop();
      expect(Date.now() - stopping).toBeLessThan(1_000);
      // It did not hold the lease when it stopped: nothing to release.
      expect(calls.releases).toBe(0);
    } finally {
      await dispatcher.stop();
    }
  });

  it("when the lease fails check after check, or its session keeps changing, the instance runs the batches without it", async () => {
    type Mode = "failing" | "moving" | "follower";
    let mode = "failing" as Mode;
    let session = 10;
    // Each check's mode, and whether the instance ran without the lease when it began (after the checks before it).
    const checks: { mode: Mode; unleased: boolean }[] = [];
    const { lease } = scriptedLease(async () => {
      checks.push({ mode, unleased: dispatcher.isUnleased });
      if (mode === "failing") throw new Error("too many connections");
      if (mode === "moving") return { held: false, session: ++session, expires: true };
      return { held: false, session, expires: true };
    });
    /** How many checks of `inMode` (the first of them onwards) ran before the instance's mode was `unleased`. */
    const checksUntil = (inMode: Mode, unleased: boolean) => {
      const first = checks.findIndex((check) => check.mode === inMode);
      return checks.findIndex((check, index) => index > first && check.unleased === unleased) - first;
    };
    const handled: string[] = [];
    const dispatcher = new EventDispatcher(database, log, 10_000, 1, { lease, leaseCheckMs: 20 });
    dispatcher.register({
      name: "without-a-lease",
      startFrom: "now",
      handle: async (events) => void handled.push(...events.map((e) => String(e.payload.contactId))),
    });
    await dispatcher.start();
    try {
      await until("it to run without the lease", async () => dispatcher.isUnleased && dispatcher.isLeading, 5_000);
      await until("a check after that", async () => checks.at(-1)?.unleased === true, 5_000);
      expect(checksUntil("failing", true)).toBe(3);
      await insertEvent(database.db, 710);
      dispatcher.wake();
      await until("it to deliver without the lease", async () => handled.includes("c710"), 5_000);

      // The lease works again (another instance holds it): this one goes back to waiting.
      mode = "follower";
      await until("it to follow again", async () => !dispatcher.isUnleased && !dispatcher.isLeading, 5_000);
      await until("a check after that", async () => checks.at(-1)?.unleased === false, 5_000);
      expect(checksUntil("follower", false)).toBe(3);

      // A pooler hands each check another server session: the lease means nothing there.
      mode = "moving";
      await until(
        "it to run without the lease again",
        async () => dispatcher.isUnleased && dispatcher.isLeading,
        5_000,
      );
      await until("a check after that", async () => checks.at(-1)?.unleased === true, 5_000);
      expect(checksUntil("moving", true)).toBe(3);
    } finally {
      await dispatcher.stop();
    }
  });

  it("a long catch-up of batches that each settle in time is not a stuck batch", async () => {
    const { lease, calls } = scriptedLease(async () => ({ held: true, session: 1, expires: true }));
    // Five batches of 400 ms: the lane's run takes over 2 s, none of its batches 1.5 s.
    const dispatcher = new EventDispatcher(database, log, 10_000, 1, { lease, leaseCheckMs: 20, stuckRunMs: 1_500 });
    let handled = 0;
    dispatcher.register({
      name: "long-catch-up",
      startFrom: "now",
      handle: async (events) => {
        await new Promise((resolve) => setTimeout(resolve, 400));
        handled += events.length;
      },
    });
    try {
      await dispatcher.start();
      await database.db.insert(domainEvents).values(
        Array.from({ length: 2_200 }, (_, i) => ({
          type: "contact.updated" as const,
          payload: { contactId: `c${2_000 + i}`, fields: [] },
        })),
      );
      dispatcher.wake();
      await until("the catch-up to finish", async () => handled === 2_200, 30_000);
      expect(calls.releases).toBe(0);
      expect(dispatcher.isLeading).toBe(true);
    } finally {
      await dispatcher.stop();
    }
  });

  it("failed lease checks are warned of on the first, on running without the lease, then at most once a minute", async () => {
    const lines: { level: number; msg: string }[] = [];
    const captured = createLogger("debug", {}, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const { lease, calls } = scriptedLease(async () => {
      throw new Error("too many connections");
    });
    const dispatcher = new EventDispatcher(database, captured, 10_000, 1, { lease, leaseCheckMs: 20 });
    try {
      await dispatcher.start();
      await until("ten failed checks", async () => calls.checks >= 10, 5_000);
    } finally {
      await dispatcher.stop();
    }
    const failed = lines.filter((line) => line.msg === "event dispatcher lease check failed");
    expect(failed.length).toBeGreaterThanOrEqual(9);
    // pino's levels: 40 warn, 20 debug.
    expect(failed.map((line) => line.level).slice(0, 4)).toEqual([40, 20, 40, 20]);
    expect(failed.filter((line) => line.level === 40)).toHaveLength(2);
  });

  it("a session whose idle timeout is not in effect is not relied on", async () => {
    const { lease } = scriptedLease(async () => ({ held: false, session: 1, expires: false }));
    const dispatcher = new EventDispatcher(database, log, 10_000, 1, { lease, leaseCheckMs: 20 });
    await dispatcher.start();
    try {
      await until("it to run without the lease", async () => dispatcher.isUnleased && dispatcher.isLeading, 5_000);
    } finally {
      await dispatcher.stop();
    }
  });

  it("a holder whose consumer's batch never settles gives the lease up for a while, once for that batch", async () => {
    const { lease, calls } = scriptedLease(async () => ({ held: true, session: 1, expires: true }));
    const dispatcher = new EventDispatcher(database, log, 10_000, 1, {
      lease,
      leaseCheckMs: 20,
      stuckRunMs: 150,
      leaseCooldownMs: 300,
    });
    let settle = () => {};
    dispatcher.register({
      name: "never-settles",
      startFrom: "now",
      handle: () => new Promise<void>((resolve) => (settle = resolve)),
    });
    await dispatcher.start();
    try {
      expect(dispatcher.isLeading).toBe(true);
      await insertEvent(database.db, 720);
      dispatcher.wake();
      await until("it to step down", async () => calls.releases === 1, 5_000);
      expect(dispatcher.isLeading).toBe(false);
      // After the cooldown it takes the lease again, and keeps it though that batch is still stuck.
      await until("it to lead again", async () => dispatcher.isLeading, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(dispatcher.isLeading).toBe(true);
      expect(calls.releases).toBe(1);
    } finally {
      settle();
      await dispatcher.stop();
    }
  });
});

describe.each<TestDriver>(["postgres", "pglite"])("a consumer's stored cursor (%s)", (driver) => {
  let database: Database;
  let drop: () => Promise<void>;
  const log = createLogger("silent");

  beforeAll(async () => {
    if (driver === "postgres") {
      const created = await createTestDatabase();
      database = await createDatabase({ url: created.url, poolSize: 4 });
      drop = created.drop;
    } else {
      const dir = createTestPgliteDir();
      database = await createDatabase({ pgliteDir: dir.dir });
      drop = dir.drop;
    }
    await database.db.execute(sql`CREATE TABLE handled_events (id bigint PRIMARY KEY)`);
  });
  afterAll(async () => {
    await database.close();
    await drop();
  });

  /** A dispatcher of one consumer, its batches one after another, started by wake() (or drain()). */
  const dispatcherOf = (
    name: string,
    handle: EventConsumer["handle"],
    options: {
      pollMs?: number;
      cursorPersistMs: number;
      batchEnded?: (txId: string) => void;
      lease?: DispatcherLease;
    },
  ) => {
    const dispatcher = new EventDispatcher(database, log, options.pollMs ?? 10_000, 1, {
      batchGapMs: 0,
      cursorPersistMs: options.cursorPersistMs,
      batchEnded: options.batchEnded,
      lease: options.lease,
      leaseCheckMs: 20,
    });
    dispatcher.register({ name, startFrom: "now", handle });
    return dispatcher;
  };
  const stored = async (name: string) => {
    const [row] = await queryRows<{ id: string | number }>(
      database.db,
      sql`SELECT last_event_id AS id FROM event_consumers WHERE name = ${name}`,
    );
    return Number(row!.id);
  };
  /** As if the stored cursor had been written long ago: the next batch stores its own. */
  const ageStored = (name: string) =>
    database.db.execute(sql`UPDATE event_consumers SET updated_at = now() - interval '1 day' WHERE name = ${name}`);
  /** Commits an event and wakes the dispatcher; returns once the consumer was handed it (a batch of its own). */
  const feed = async (dispatcher: EventDispatcher, seen: number[]): Promise<number> => {
    const [row] = await database.db
      .insert(domainEvents)
      .values({ type: "contact.updated", payload: { contactId: "c", fields: [] } })
      .returning({ id: domainEvents.id });
    dispatcher.wake();
    await until(`event ${row!.id} handed to the consumer`, async () => seen.includes(row!.id), 5_000);
    return row!.id;
  };

  /** A lease whose every check answers `check()`'s (or throws what it throws). */
  const leaseOf = (check: () => Promise<LeaseCheck>): DispatcherLease => ({
    check,
    release: async () => {},
    reset: () => {},
    close: async () => {},
  });

  it("a handler that writes nothing: batches within CURSOR_PERSIST_MS leave the stored cursor where the first put it and take no xid, yet each event is handed out once, in order", async () => {
    const batches: number[][] = [];
    const seen: number[] = [];
    const ended: string[] = [];
    const dispatcher = dispatcherOf(
      "writes-nothing",
      async (events) => {
        batches.push(events.map((e) => e.id));
        seen.push(...events.map((e) => e.id));
      },
      { cursorPersistMs: 60_000, batchEnded: (txId) => ended.push(txId) },
    );
    await dispatcher.start();
    try {
      await ageStored("writes-nothing");
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push(await feed(dispatcher, seen));
      expect(batches).toEqual(ids.map((id) => [id]));
      expect(await stored("writes-nothing")).toBe(ids[0]);
      // Only the first batch's transaction took an xid: the others committed read-only.
      expect(ended).toHaveLength(1);
      const [row] = await queryRows<{ xmin: string }>(
        database.db,
        sql`SELECT xmin::text AS xmin FROM event_consumers WHERE name = 'writes-nothing'`,
      );
      expect(BigInt(ended[0]!) % 2n ** 32n).toBe(BigInt(row!.xmin));
    } finally {
      await dispatcher.stop();
    }
  });

  it("a handler that writes a row stores the cursor with it, in its transaction; its batches that wrote nothing do not", async () => {
    const seen: number[] = [];
    const ended: string[] = [];
    let writing = true;
    const dispatcher = dispatcherOf(
      "writes-some",
      async (events, tx) => {
        if (writing) for (const event of events) await tx.execute(sql`INSERT INTO handled_events VALUES (${event.id})`);
        seen.push(...events.map((e) => e.id));
      },
      { cursorPersistMs: 60_000, batchEnded: (txId) => ended.push(txId) },
    );
    await dispatcher.start();
    try {
      const written = await feed(dispatcher, seen);
      expect(await stored("writes-some")).toBe(written);
      writing = false;
      await feed(dispatcher, seen);
      expect(await stored("writes-some")).toBe(written);
      writing = true;
      const writtenAgain = await feed(dispatcher, seen);
      expect(await stored("writes-some")).toBe(writtenAgain);
      expect(ended).toHaveLength(2);
      // The row and the cursor committed in one transaction, the one announced.
      const [row] = await queryRows<{ same: boolean; xmin: string }>(
        database.db,
        sql`SELECT h.xmin = c.xmin AS same, c.xmin::text AS xmin
            FROM handled_events AS h, event_consumers AS c
            WHERE h.id = ${writtenAgain} AND c.name = 'writes-some'`,
      );
      expect(row!.same).toBe(true);
      expect(BigInt(ended[1]!) % 2n ** 32n).toBe(BigInt(row!.xmin));
    } finally {
      await dispatcher.stop();
    }
  });

  it("the first batch after CURSOR_PERSIST_MS stores the cursor", async () => {
    const seen: number[] = [];
    // Long enough that the second batch comes sooner on a loaded host.
    const dispatcher = dispatcherOf("persist-due", async (events) => void seen.push(...events.map((e) => e.id)), {
      cursorPersistMs: 3_000,
    });
    await dispatcher.start();
    try {
      await ageStored("persist-due");
      const first = await feed(dispatcher, seen);
      await feed(dispatcher, seen);
      expect(await stored("persist-due")).toBe(first);
      await new Promise((resolve) => setTimeout(resolve, 3_100));
      const later = await feed(dispatcher, seen);
      expect(await stored("persist-due")).toBe(later);
    } finally {
      await dispatcher.stop();
    }
  });

  it("a consumer whose commits stopped stores its position at a poll once CURSOR_PERSIST_MS has passed", async () => {
    const seen: number[] = [];
    const dispatcher = dispatcherOf("persist-idle", async (events) => void seen.push(...events.map((e) => e.id)), {
      pollMs: 50,
      cursorPersistMs: 3_000,
    });
    await dispatcher.start();
    try {
      await ageStored("persist-idle");
      const first = await feed(dispatcher, seen);
      const last = await feed(dispatcher, seen);
      const fedAt = performance.now();
      expect(await stored("persist-idle")).toBe(first);
      await until("the stored cursor to catch up", async () => (await stored("persist-idle")) === last, 10_000);
      expect(performance.now() - fedAt).toBeGreaterThan(1_500);
      expect(seen).toEqual([first, last]);
    } finally {
      await dispatcher.stop();
    }
  });

  it("drain() and stop() store the position the batches that wrote nothing left unstored", async () => {
    const seen: number[] = [];
    const dispatcher = dispatcherOf("persist-drain", async (events) => void seen.push(...events.map((e) => e.id)), {
      cursorPersistMs: 60_000,
    });
    await dispatcher.start();
    let last: number;
    try {
      await ageStored("persist-drain");
      const first = await feed(dispatcher, seen);
      last = await feed(dispatcher, seen);
      expect(await stored("persist-drain")).toBe(first);
      expect(await dispatcher.drain()).toBe(true);
      expect(await stored("persist-drain")).toBe(last);

      const drained = last;
      await feed(dispatcher, seen);
      last = await feed(dispatcher, seen);
      expect(await stored("persist-drain")).toBe(drained);
    } finally {
      await dispatcher.stop();
    }
    expect(await stored("persist-drain")).toBe(last);
    // The next run goes on from there: nothing handed out again.
    const again: number[] = [];
    const restarted = dispatcherOf("persist-drain", async (events) => void again.push(...events.map((e) => e.id)), {
      cursorPersistMs: 60_000,
    });
    await restarted.start();
    try {
      const after = await feed(restarted, again);
      expect(again).toEqual([after]);
    } finally {
      await restarted.stop();
    }
    expect(seen.length).toBe(4);
  });

  it("stop() never moves the stored cursor back when another instance moved it further", async () => {
    const seen: number[] = [];
    const one = dispatcherOf("persist-shared", async (events) => void seen.push(...events.map((e) => e.id)), {
      cursorPersistMs: 60_000,
    });
    await one.start();
    const other: number[] = [];
    const two = dispatcherOf("persist-shared", async (events) => void other.push(...events.map((e) => e.id)), {
      cursorPersistMs: 60_000,
    });
    try {
      await ageStored("persist-shared");
      const first = await feed(one, seen);
      const second = await feed(one, seen);
      expect(await stored("persist-shared")).toBe(first);
      // Another instance takes the consumer over from the stored cursor (handing out again
      // what the first did not store) and stores a later one.
      const [row] = await database.db
        .insert(domainEvents)
        .values({ type: "contact.updated", payload: { contactId: "c", fields: [] } })
        .returning({ id: domainEvents.id });
      expect(await two.drain()).toBe(true);
      expect(other).toEqual([second, row!.id]);
      expect(await stored("persist-shared")).toBe(row!.id);
    } finally {
      await one.stop();
    }
    expect(await stored("persist-shared")).toBe(other[other.length - 1]);
  });

  it("instances running without the lease take turns on a consumer whose handler writes nothing: each event is handed out once across them", async () => {
    // Every check fails (connections refused, a pooler): each instance runs the batches without the lease.
    const lease = leaseOf(async () => {
      throw new Error("too many connections");
    });
    const handed: number[] = [];
    const instances = [0, 1].map(() =>
      dispatcherOf("unleased-turns", async (events) => void handed.push(...events.map((e) => e.id)), {
        cursorPersistMs: 60_000,
        lease,
      }),
    );
    await Promise.all(instances.map((dispatcher) => dispatcher.start()));
    try {
      await until(
        "both to run without the lease",
        async () => instances.every((dispatcher) => dispatcher.isUnleased && dispatcher.isLeading),
        5_000,
      );
      const ids: number[] = [];
      // Woken one after the other, each runs the consumer's next batch.
      for (let i = 0; i < 6; i++) ids.push(await feed(instances[i % 2]!, handed));
      // Woken together, they race for the consumer's lock, batch after batch.
      for (let i = 0; i < 6; i++) {
        const [row] = await database.db
          .insert(domainEvents)
          .values({ type: "contact.updated", payload: { contactId: "c", fields: [] } })
          .returning({ id: domainEvents.id });
        ids.push(row!.id);
        for (const dispatcher of instances) dispatcher.wake();
        await until(`event ${row!.id} handed out`, async () => handed.includes(row!.id), 5_000);
      }
      for (const dispatcher of instances) expect(await dispatcher.drain()).toBe(true);
      expect(handed).toEqual(ids);
      expect(await stored("unleased-turns")).toBe(ids.at(-1));
    } finally {
      await Promise.all(instances.map((dispatcher) => dispatcher.stop()));
    }
  });

  it("a batch that finds the stored cursor moved by another instance stores its own, whatever its handler wrote", async () => {
    const handed: number[] = [];
    const [one, two] = [0, 1].map(() =>
      dispatcherOf("moved-by-another", async (events) => void handed.push(...events.map((e) => e.id)), {
        cursorPersistMs: 60_000,
      }),
    ) as [EventDispatcher, EventDispatcher];
    await one.start();
    try {
      await ageStored("moved-by-another");
      const first = await feed(one, handed);
      expect(await stored("moved-by-another")).toBe(first);
      // The other starts and has read the stored cursor (its start's batch, drain's), which
      // the first then moves on again.
      await two.start();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await two.drain()).toBe(true);
      await ageStored("moved-by-another");
      const second = await feed(one, handed);
      expect(await stored("moved-by-another")).toBe(second);
      // The other finds the cursor moved since it last read it: it stores its batch's, not due otherwise.
      const third = await feed(two, handed);
      expect(await stored("moved-by-another")).toBe(third);
      // And so does the first, which reads after the other's batch, not its own.
      const fourth = await feed(one, handed);
      expect(await stored("moved-by-another")).toBe(fourth);
      expect(handed).toEqual([first, second, third, fourth]);
    } finally {
      await one.stop();
      await two.stop();
    }
  });

  it("an instance that loses the lease stores the position its batches that wrote nothing left unstored", async () => {
    let held = true;
    const lease = leaseOf(async () => ({ held, session: 1, expires: true }));
    const handed: number[] = [];
    const dispatcher = dispatcherOf("lease-lost", async (events) => void handed.push(...events.map((e) => e.id)), {
      cursorPersistMs: 60_000,
      lease,
    });
    await dispatcher.start();
    try {
      expect(dispatcher.isLeading).toBe(true);
      await ageStored("lease-lost");
      const first = await feed(dispatcher, handed);
      const last = await feed(dispatcher, handed);
      expect(await stored("lease-lost")).toBe(first);
      // Another instance holds the lease now: it goes on from the stored cursor.
      held = false;
      await until("it to follow", async () => !dispatcher.isLeading, 5_000);
      await until(
        "the stored cursor to reach what it handled",
        async () => (await stored("lease-lost")) === last,
        5_000,
      );
      expect(handed).toEqual([first, last]);
    } finally {
      await dispatcher.stop();
    }
  });
});
