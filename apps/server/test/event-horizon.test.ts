import type { RapportClient } from "@rapport/client";
import { queryRows } from "@rapport/db";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventHorizon } from "../../../packages/api/src/platform/events/committed";
import { EventDispatcher } from "../../../packages/api/src/platform/events/dispatcher";
import { createLogger } from "../../../packages/api/src/logger";
import { createTestApp, createTestDatabase, type SignedInUser, type TestApp } from "./support/app";

/** Milliseconds until `done()` holds, failing after `timeoutMs`. */
async function timeUntil(
  what: string,
  done: () => boolean,
  timeoutMs = 5_000,
  refresh: () => Promise<void> = async () => {},
): Promise<number> {
  const started = performance.now();
  for (await refresh(); !done(); await refresh()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - started;
}

/** The contact ids a live stream (`activity.live`) has delivered so far. */
function liveContactIds(client: RapportClient, workspaceId: string) {
  const contactIds: unknown[] = [];
  let ready = false;
  const subscription = client.activity.live.subscribe(
    { workspaceId },
    {
      onData(data) {
        const message = "kind" in data ? data : data.data;
        if (message.kind === "ready") ready = true;
        else contactIds.push(message.event.payload.contactId);
      },
    },
  );
  return {
    contactIds,
    whenReady: () => timeUntil("the live stream to open", () => ready),
    close: () => subscription.unsubscribe(),
  };
}

describe("the outbox horizon is this database's (Postgres)", () => {
  let app: TestApp;
  let owner: SignedInUser;
  let workspaceId: string;
  let otherDatabase: { url: string; drop(): Promise<void> };
  let other: postgres.Sql;
  let releaseOther: () => void = () => {};
  let otherTransaction: Promise<unknown>;
  let otherXid: bigint;

  beforeAll(async () => {
    app = await createTestApp();
    owner = await app.signUp();
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Horizon" })).id;
    // Another database on the same server (another app, another test) with a transaction
    // that holds an xid and stays open: xids are cluster-wide, so it is older than
    // everything this database commits from now on.
    otherDatabase = await createTestDatabase();
    other = postgres(otherDatabase.url, { max: 1, onnotice: () => {} });
    let holding!: (xid: string) => void;
    const held = new Promise<string>((resolve) => (holding = resolve));
    otherTransaction = other.begin(async (tx) => {
      const [row] = await tx`SELECT pg_current_xact_id()::text AS xid`;
      holding(row!.xid as string);
      await new Promise<void>((resolve) => (releaseOther = resolve));
    });
    otherXid = BigInt(await held);
  });
  afterAll(async () => {
    releaseOther();
    await otherTransaction;
    await other?.end();
    await otherDatabase?.drop();
    await app?.close();
  });

  it("is not held back by the other database's open transaction, as the server-wide xmin is", async () => {
    await app.sql`SELECT pg_current_xact_id()`; // a transaction of this database, newer than the other's, completes
    const [row] = await app.sql`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`;
    expect(BigInt(row!.xmin as string)).toBeLessThanOrEqual(otherXid);
    expect(BigInt(await eventHorizon(app.runtime.database.db))).toBeGreaterThan(otherXid);
  });

  it("an event committed here reaches a dispatcher consumer within 1 s", async () => {
    const seen: unknown[] = [];
    const dispatcher = new EventDispatcher(app.runtime.database, createLogger("silent"), 50);
    dispatcher.register({
      name: "horizon-probe",
      startFrom: "now",
      handle: async (events) => void seen.push(...events.map((event) => event.payload.contactId)),
    });
    await dispatcher.start();
    try {
      const contact = await owner.client.contacts.create.mutate({ workspaceId, name: "Ana Horizon" });
      const ms = await timeUntil("the consumer to get the event", () => seen.includes(contact.id));
      expect(ms).toBeLessThan(1_000);
    } finally {
      await dispatcher.stop();
    }
  });

  it("an event committed here reaches the live feed (activity.live) within 1 s", async () => {
    const stream = liveContactIds(owner.client, workspaceId);
    await stream.whenReady();
    try {
      const contact = await owner.client.contacts.create.mutate({ workspaceId, name: "Bo Horizon" });
      const ms = await timeUntil("the live stream to get the event", () => stream.contactIds.includes(contact.id));
      expect(ms).toBeLessThan(1_000);
    } finally {
      stream.close();
    }
  });

  it("a transaction of this database that holds an xid still holds the horizon back", async () => {
    const db = app.runtime.database.db;
    let release!: () => void;
    let holding!: (xid: string) => void;
    const held = new Promise<string>((resolve) => (holding = resolve));
    const open = app.sql.begin(async (tx) => {
      const [row] = await tx`SELECT pg_current_xact_id()::text AS xid`;
      holding(row!.xid as string);
      await new Promise<void>((resolve) => (release = resolve));
    });
    const xid = await held;
    try {
      expect(BigInt(await eventHorizon(db))).toBeLessThanOrEqual(BigInt(xid));
    } finally {
      release();
      await open;
    }
    // Once it ends the horizon passes it (as soon as this database's other transactions, e.g. the
    // dispatcher's, that are older than it have ended too).
    let horizon = 0n;
    await timeUntil(
      "the horizon to pass the ended transaction",
      () => horizon > BigInt(xid),
      2_000,
      async () => {
        horizon = BigInt(await eventHorizon(db));
      },
    );
  });
});

describe("the outbox horizon on the embedded PGlite (one connection)", () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ driver: "pglite" });
  });
  afterAll(() => app?.close());

  it("is the snapshot's xmax outside a transaction, and at most the open transaction's own xid inside one", async () => {
    const db = app.runtime.database.db;
    const [{ xmax } = { xmax: "" }] = await app.query<{ xmax: string }>`
      SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`;
    expect(BigInt(await eventHorizon(db))).toBeGreaterThanOrEqual(BigInt(xmax));
    await db.transaction(async (tx) => {
      const [own] = await queryRows<{ xid: string }>(tx, sql`SELECT pg_current_xact_id()::text AS xid`);
      expect(BigInt(await eventHorizon(tx))).toBeLessThanOrEqual(BigInt(own!.xid));
    });
  });

  it("an event reaches the live feed (activity.live) within 1 s", async () => {
    const owner = await app.signUp();
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Embedded" })).id;
    const stream = liveContactIds(owner.client, workspaceId);
    await stream.whenReady();
    try {
      const contact = await owner.client.contacts.create.mutate({ workspaceId, name: "Cy Horizon" });
      const ms = await timeUntil("the live stream to get the event", () => stream.contactIds.includes(contact.id));
      expect(ms).toBeLessThan(1_000);
    } finally {
      stream.close();
    }
  });
});
