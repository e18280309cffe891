import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@rapport/api";
import JSZip from "jszip";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";
import { joinWorkspace } from "./support/members";

/** GDPR access/portability exports : real Postgres, Redis/BullMQ, the ZIP opened and read. */

type Status = Awaited<ReturnType<SignedInUser["client"]["gdpr"]["exportStatus"]["query"]>>;

async function waitForExport(user: SignedInUser, exportId: string, timeoutMs = 30_000): Promise<Status> {
  const started = Date.now();
  for (;;) {
    const status = await user.client.gdpr.exportStatus.query({ exportId });
    if (status.status === "completed" || status.status === "failed" || status.status === "discarded") return status;
    if (Date.now() - started > timeoutMs)
      throw new Error(`export ${exportId} still ${status.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function download(app: TestApp, url: string, token?: string) {
  return fetch(`${app.url}${url}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

async function openZip(app: TestApp, user: SignedInUser, url: string) {
  const response = await download(app, url, user.accessToken);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/zip");
  const zip = await JSZip.loadAsync(await response.arrayBuffer());
  const json = async (name: string) => JSON.parse(await zip.file(name)!.async("string"));
  return { zip, json, readme: await zip.file("README.txt")!.async("string") };
}

/** Rows as they travel in JSON (dates as ISO strings), sorted by id. */
const normalize = (rows: readonly unknown[]) =>
  (JSON.parse(JSON.stringify(rows)) as { id: string | number }[]).sort((a, b) =>
    String(a.id).localeCompare(String(b.id)),
  );

const CONTACT_COLUMNS = `id, workspace_id AS "workspaceId", name, email, company, title, phone, tags, source, created_by AS "createdBy", created_at AS "createdAt", updated_at AS "updatedAt", deleted_at AS "deletedAt"`;
const INTERACTION_COLUMNS = `id, workspace_id AS "workspaceId", contact_id AS "contactId", type, direction, occurred_at AS "occurredAt", subject, summary, source, external_id AS "externalId", created_by AS "createdBy", created_at AS "createdAt"`;

describe("gdpr exports", () => {
  let app: TestApp;
  let exportDir: string;
  let clock: ManualClock;
  let alice: SignedInUser; // owner of A
  let bob: SignedInUser; // owner of B
  let adam: SignedInUser; // admin of A
  let mallory: SignedInUser; // plain member of A
  let workspaceId: string;
  let contactId: string;

  beforeAll(async () => {
    exportDir = mkdtempSync(join(tmpdir(), "rapport-exports-"));
    clock = new ManualClock(new Date());
    app = await createTestApp({ clock, env: { EXPORT_DIR: exportDir } });
    [alice, bob, adam, mallory] = await Promise.all([
      app.signUp("Alice Owner"),
      app.signUp("Bob Other"),
      app.signUp("Adam Admin"),
      app.signUp("Mallory Member"),
    ]);
    const workspace = await alice.client.workspaces.create.mutate({ name: "A" });
    workspaceId = workspace.id;
    await joinWorkspace(alice, workspaceId, adam, "admin");
    await joinWorkspace(alice, workspaceId, mallory);
    const created = await alice.client.contacts.bulkCreate.mutate({
      workspaceId,
      contacts: Array.from({ length: 25 }, (_, i) => ({
        name: `Person ${i}`,
        email: `person${i}@a.example`,
        company: "Acme",
        phone: `+49 30 ${1000 + i}`,
        tags: ["t"],
      })),
    });
    void created;
    const [first] = await app.sql<
      { id: string }[]
    >`SELECT id FROM contacts WHERE workspace_id = ${workspaceId} AND email = 'person0@a.example'`;
    contactId = first!.id;
    for (let i = 0; i < 12; i++) {
      await alice.client.interactions.create.mutate({
        workspaceId,
        contactId,
        type: i % 2 ? "email" : "call",
        direction: "inbound",
        occurredAt: new Date(Date.now() - i * 86_400_000),
        subject: `Subject ${i}`,
      });
    }
    const bobWs = await bob.client.workspaces.create.mutate({ name: "B" });
    await bob.client.contacts.create.mutate({ workspaceId: bobWs.id, name: "Bea Bob", email: "bea@b.example" });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    rmSync(exportDir, { recursive: true, force: true });
  });

  it("a user's export: the ZIP's JSON files equal the database rows for that user, README covers purposes, recipients, retention, rights", async () => {
    const view = await alice.client.views.create.mutate({
      workspaceId,
      name: "Key accounts",
      shared: false,
      filters: { tag: "vip" },
      sort: "name",
      columns: ["name", "email"],
    });
    const requested = await alice.client.gdpr.requestExport.mutate({});
    expect(["pending", "in_progress", "completed"]).toContain(requested.status);
    const status = await waitForExport(alice, requested.exportId);
    expect(status).toMatchObject({ status: "completed", progress: 100 });
    expect(status.downloadUrl).toMatch(/^\/api\/gdpr\/export\/download\?token=/);
    expect(status.expiresAt).toBeInstanceOf(Date);
    expect(status.expiresAt!.getTime() - clock.now().getTime()).toBeGreaterThan(6.9 * 86_400_000);
    expect(status.fileSizeBytes).toBeGreaterThan(0);

    const { zip, json, readme } = await openZip(app, alice, status.downloadUrl!);
    expect(Object.keys(zip.files).sort()).toEqual([
      "README.txt",
      "activity.json",
      "audit.json",
      "contacts.json",
      "gmail-connections.json",
      "interactions.json",
      "invitations.json",
      "notification-preferences.json",
      "notifications.json",
      "preferences.json",
      "profile.json",
      "saved-views.json",
      "tasks.json",
    ]);
    // Alice created the workspace; nobody invited her. She connected no mailbox.
    expect(await json("invitations.json")).toEqual([]);
    expect(await json("gmail-connections.json")).toEqual([]);
    // She chose nothing: the defaults apply, and the file says so.
    expect(await json("notification-preferences.json")).toEqual({ choices: {}, updatedAt: null });
    expect(await json("tasks.json")).toEqual([]);
    expect(await json("saved-views.json")).toEqual([
      expect.objectContaining({
        id: view.id,
        workspaceId,
        name: "Key accounts",
        shared: false,
        filters: { tag: "vip" },
        sort: "name",
        columns: ["name", "email"],
      }),
    ]);

    const profile = await json("profile.json");
    expect(profile.user).toMatchObject({ id: alice.userId, email: alice.email, name: "Alice Owner" });
    expect(JSON.stringify(profile)).not.toMatch(/password|scrypt|argon/i);
    expect(profile.memberships).toEqual([expect.objectContaining({ workspaceId, role: "owner", workspaceName: "A" })]);
    const sessions = await app.sql`SELECT id FROM sessions WHERE user_id = ${alice.userId}`;
    expect(profile.sessions).toHaveLength(sessions.length);

    const contacts = await app.sql.unsafe(`SELECT ${CONTACT_COLUMNS} FROM contacts WHERE workspace_id = $1`, [
      workspaceId,
    ]);
    expect(contacts).toHaveLength(25);
    expect(normalize(await json("contacts.json"))).toEqual(normalize(contacts));
    const interactions = await app.sql.unsafe(
      `SELECT ${INTERACTION_COLUMNS} FROM interactions WHERE workspace_id = $1`,
      [workspaceId],
    );
    expect(interactions).toHaveLength(12);
    expect(normalize(await json("interactions.json"))).toEqual(normalize(interactions));
    const events = await app.sql`SELECT id FROM domain_events WHERE actor_id = ${alice.userId}`;
    expect((await json("activity.json")).map((e: { id: number }) => e.id).sort()).toEqual(
      events.map((e) => Number(e.id)).sort(),
    );
    const audit =
      await app.sql`SELECT id FROM audit_log WHERE actor_id = ${alice.userId} OR (target_type = 'user' AND target_id = ${alice.userId})`;
    // The "completed" entry is written in the same transaction that finishes the file, after it was built.
    const auditInZip = (await json("audit.json")).map((e: { id: number }) => e.id);
    expect(auditInZip.length).toBeGreaterThan(0);
    for (const id of auditInZip) expect(audit.map((e) => Number(e.id))).toContain(id);
    expect(await json("preferences.json")).toEqual([]);
    // Only Alice's data: nothing of Bob's workspace.
    expect(JSON.stringify(await json("contacts.json"))).not.toContain("bea@b.example");

    expect(readme).toContain("contacts.json — 25 records");
    expect(readme).toContain("interactions.json — 12 records");
    for (const word of [
      "Purpose:",
      "Categories:",
      "Recipients:",
      "Retention:",
      "Source:",
      "Art. 15",
      "Art. 20",
      "Erasure (Art. 17)",
      "supervisory authority",
      "imported from your Gmail",
    ]) {
      expect(readme).toContain(word);
    }
    // Audited by opaque id, never by personal values.
    const entries =
      await app.sql`SELECT action, target_id, metadata FROM audit_log WHERE action LIKE 'gdpr.export.%' AND actor_id = ${alice.userId}`;
    expect(entries.map((e) => e.action).sort()).toEqual(["gdpr.export.completed", "gdpr.export.requested"]);
    expect(JSON.stringify(entries)).not.toContain(alice.email);
  });

  it("include limits the sections (profile always included)", async () => {
    const requested = await bob.client.gdpr.requestExport.mutate({ include: ["contacts"] });
    const status = await waitForExport(bob, requested.exportId);
    const { zip } = await openZip(app, bob, status.downloadUrl!);
    expect(Object.keys(zip.files).sort()).toEqual(["README.txt", "contacts.json", "invitations.json", "profile.json"]);
  });

  it("a contact's export by an admin: profile equals the contact row, interactions with participants", async () => {
    const requested = await adam.client.gdpr.exportContact.mutate({ workspaceId, contactId });
    expect(requested.subjectKind).toBe("contact");
    const status = await waitForExport(adam, requested.exportId);
    expect(status.status).toBe("completed");
    const { zip, json, readme } = await openZip(app, adam, status.downloadUrl!);
    expect(Object.keys(zip.files).sort()).toEqual([
      "README.txt",
      "activity.json",
      "audit.json",
      "contact-merges.json",
      "interactions.json",
      "keep-in-touch.json",
      "profile.json",
      "tasks.json",
      "webhook-messages.json",
    ]);
    // No merge of this contact to undo.
    expect(await json("contact-merges.json")).toEqual([]);
    const [row] = await app.sql.unsafe(`SELECT ${CONTACT_COLUMNS} FROM contacts WHERE id = $1`, [contactId]);
    expect(await json("profile.json")).toEqual(JSON.parse(JSON.stringify(row)));
    const interactions = await app.sql.unsafe(`SELECT ${INTERACTION_COLUMNS} FROM interactions WHERE contact_id = $1`, [
      contactId,
    ]);
    const inZip = await json("interactions.json");
    expect(normalize(inZip.map(({ participants: _, ...rest }: Record<string, unknown>) => rest))).toEqual(
      normalize(interactions),
    );
    expect(readme).toContain("The workspace that holds your record");
    expect(readme).toContain("interactions.json — 12 records");
    // Nothing about other contacts.
    expect(JSON.stringify(await json("profile.json"))).not.toContain("person1@a.example");

    // The owner (also admin or above) may fetch it too; a plain member and an outsider may not.
    expect((await download(app, status.downloadUrl!, alice.accessToken)).status).toBe(200);
    expect((await download(app, status.downloadUrl!, mallory.accessToken)).status).toBe(404);
    expect((await download(app, status.downloadUrl!, bob.accessToken)).status).toBe(404);
    expect((await errorOf(mallory.client.gdpr.exportStatus.query({ exportId: requested.exportId }))).code).toBe(
      "NOT_FOUND",
    );
    expect((await errorOf(mallory.client.gdpr.exportContact.mutate({ workspaceId, contactId }))).code).toBe(
      "FORBIDDEN",
    );
  });

  it("export requests are in the operations log with their due date and end completed", async () => {
    const mine = await bob.client.gdpr.requestExport.mutate({});
    await waitForExport(bob, mine.exportId);
    const [own] = await bob.client.gdpr.myOperations.query();
    expect(own).toMatchObject({ type: "access_export", subjectKind: "user", status: "completed", overdue: false });
    expect(own!.dueAt.getTime() - own!.requestedAt.getTime()).toBeGreaterThanOrEqual(28 * 86_400_000);

    const forContact = (await alice.client.gdpr.operations.query({ workspaceId })).filter(
      (o) => o.type === "contact_export" && o.subjectId === contactId,
    );
    expect(forContact.length).toBeGreaterThan(0);
    expect(forContact.every((o) => o.status === "completed" && o.completedAt !== null)).toBe(true);
    // The link from the export row to its operation is what keeps their statuses together.
    const linked =
      await app.sql`SELECT e.status AS export, o.status AS operation FROM gdpr_exports e JOIN gdpr_operations o ON o.id = e.operation_id WHERE e.id = ${mine.exportId}`;
    expect(linked).toEqual([{ export: "completed", operation: "completed" }]);
  });

  it("another user, a missing token or a tampered link cannot download", async () => {
    const requested = await alice.client.gdpr.requestExport.mutate({});
    const status = await waitForExport(alice, requested.exportId);
    const url = status.downloadUrl!;
    expect((await download(app, url, bob.accessToken)).status).toBe(404);
    expect((await download(app, url)).status).toBe(401);
    const tampered = url.replace(/token=([^.]+)\./, (_m, body: string) => `token=${body.slice(0, -2)}AA.`);
    expect((await download(app, tampered, alice.accessToken)).status).toBe(401);
    expect((await errorOf(bob.client.gdpr.exportStatus.query({ exportId: requested.exportId }))).code).toBe(
      "NOT_FOUND",
    );
    // Even an owner of the workspace cannot fetch another user's personal export.
    expect((await download(app, url, adam.accessToken)).status).toBe(404);
  });

  it("20 users exporting at once all succeed, each gets only their own data", async () => {
    const users = await Promise.all(Array.from({ length: 20 }, (_, i) => app.signUp(`Parallel ${i}`)));
    await Promise.all(
      users.map(async (user, i) => {
        const ws = await user.client.workspaces.create.mutate({ name: `P${i}` });
        await user.client.contacts.create.mutate({
          workspaceId: ws.id,
          name: `Only Mine ${i}`,
          email: `mine${i}@p.example`,
        });
      }),
    );
    const requests = await Promise.all(users.map((user) => user.client.gdpr.requestExport.mutate({})));
    expect(new Set(requests.map((r) => r.exportId)).size).toBe(20);
    const statuses = await Promise.all(users.map((user, i) => waitForExport(user, requests[i]!.exportId, 60_000)));
    expect(statuses.every((s) => s.status === "completed")).toBe(true);
    await Promise.all(
      users.map(async (user, i) => {
        const { json } = await openZip(app, user, statuses[i]!.downloadUrl!);
        expect((await json("profile.json")).user.id).toBe(user.userId);
        const contacts = await json("contacts.json");
        expect(contacts.map((c: { email: string }) => c.email)).toEqual([`mine${i}@p.example`]);
        // Someone else's link is refused.
        const other = statuses[(i + 1) % 20]!.downloadUrl!;
        expect((await download(app, other, user.accessToken)).status).toBe(404);
      }),
    );
  }, 90_000);

  it("a file larger than one read batch (2,000 rows): every row once, in id order, one record per line, the ZIP streamed with DEFLATE", async () => {
    const big = await app.signUp("Big Owner");
    const ws = await big.client.workspaces.create.mutate({ name: "Big" });
    // 2,001 contacts: one full batch and a last batch of one row.
    for (const [from, n] of [
      [0, 1000],
      [1000, 1000],
      [2000, 1],
    ] as const) {
      await big.client.contacts.bulkCreate.mutate({
        workspaceId: ws.id,
        contacts: Array.from({ length: n }, (_, i) => ({
          name: `Big ${from + i} "quoted" \\ ü`,
          email: `big${from + i}@big.example`,
          tags: ["a", "b c"],
        })),
      });
    }
    const requested = await big.client.gdpr.requestExport.mutate({ include: ["contacts"] });
    const status = await waitForExport(big, requested.exportId);
    expect(status.status).toBe("completed");
    const response = await download(app, status.downloadUrl!, big.accessToken);
    const bytes = Buffer.from(await response.arrayBuffer());
    const zip = await JSZip.loadAsync(bytes);
    const text = await zip.file("contacts.json")!.async("string");
    const rows = await app.sql.unsafe(`SELECT ${CONTACT_COLUMNS} FROM contacts WHERE workspace_id = $1 ORDER BY id`, [
      ws.id,
    ]);
    expect(rows).toHaveLength(2001);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(rows)));
    const lines = text.split("\n");
    expect(lines[0]).toBe("[");
    expect(lines.slice(1, -2).map((line) => JSON.parse(line.replace(/,$/, "")).id)).toEqual(rows.map((row) => row.id));
    expect(lines.slice(-2)).toEqual(["]", ""]);
    // Every entry (central directory, from the end record): compression method 8 (DEFLATE), streamed
    // (general-purpose flag 3: sizes and CRC in a data descriptor after the data).
    const end = bytes.length - 22;
    expect(bytes.readUInt32LE(end)).toBe(0x06054b50);
    let entry = bytes.readUInt32LE(end + 16);
    for (let i = 0; i < bytes.readUInt16LE(end + 10); i++) {
      expect(bytes.readUInt32LE(entry)).toBe(0x02014b50);
      expect(bytes.readUInt16LE(entry + 10)).toBe(8);
      expect(bytes.readUInt16LE(entry + 8) & 0x08).toBe(0x08);
      entry += 46 + bytes.readUInt16LE(entry + 28) + bytes.readUInt16LE(entry + 30) + bytes.readUInt16LE(entry + 32);
    }
  }, 60_000);

  it("expired links are refused and the daily job deletes the files", async () => {
    const requested = await bob.client.gdpr.requestExport.mutate({});
    const status = await waitForExport(bob, requested.exportId);
    expect(readdirSync(exportDir).some((name) => name.includes(requested.exportId))).toBe(true);
    clock.advance(7 * 86_400_000 + 60_000);
    bob = await app.signIn(bob);
    alice = await app.signIn(alice);
    expect((await download(app, status.downloadUrl!, bob.accessToken)).status).toBe(410);
    const later = await bob.client.gdpr.exportStatus.query({ exportId: requested.exportId });
    expect(later.status).toBe("completed");
    expect(later.downloadUrl).toBeUndefined();
    const { deleted } = await app.runtime.services.gdprExports.purgeExpired();
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect(readdirSync(exportDir).some((name) => name.includes(requested.exportId))).toBe(false);
    const [row] = await app.sql`SELECT file_key FROM gdpr_exports WHERE id = ${requested.exportId}`;
    expect(row!.file_key).toBeNull();
  });
});

describe("gdpr exports: duplicate requests", () => {
  let app: TestApp;
  let exportDir: string;
  beforeAll(async () => {
    exportDir = mkdtempSync(join(tmpdir(), "rapport-exports-"));
    // The api role does not process jobs: requests stay pending.
    app = await createTestApp({ role: "api", env: { EXPORT_DIR: exportDir } });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(exportDir, { recursive: true, force: true });
  });

  it("a second request while one is pending returns the pending one, also when both arrive at once", async () => {
    const user = await app.signUp("Dup");
    const [a, b] = await Promise.all([
      user.client.gdpr.requestExport.mutate({}),
      user.client.gdpr.requestExport.mutate({}),
    ]);
    expect(a.exportId).toBe(b.exportId);
    const c = await user.client.gdpr.requestExport.mutate({});
    expect(c).toMatchObject({ exportId: a.exportId, status: "pending", progress: 0 });
    expect(c.downloadUrl).toBeUndefined();
    const rows = await app.sql`SELECT count(*)::int AS n FROM gdpr_exports WHERE subject_id = ${user.userId}`;
    expect(rows[0]!.n).toBe(1);
  });

  const jobContext = { attempt: 1, progress: async () => {}, log: { info: () => {} } as never };

  /** A workspace where Ana takes part in an interaction on Carl's record, so Carl's export lists her. */
  async function anaOnCarlsRecord(name: string) {
    const owner = await app.signUp(`${name} Owner`);
    const ws = await owner.client.workspaces.create.mutate({ name });
    const ana = await owner.client.contacts.create.mutate({
      workspaceId: ws.id,
      name: `Ana ${name}-Participant`,
      email: `ana.${name.toLowerCase()}@p.example`,
      phone: "+34 600 111 222",
      company: "Participant SL",
    });
    const carl = await owner.client.contacts.create.mutate({
      workspaceId: ws.id,
      name: `Carl ${name}`,
      email: `carl.${name.toLowerCase()}@c.example`,
    });
    await owner.client.interactions.create.mutate({
      workspaceId: ws.id,
      contactId: carl.id,
      type: "meeting",
      direction: "outbound",
      occurredAt: new Date(),
      subject: "Planning",
      participants: [{ contactId: ana.id, role: "attendee" }],
    });
    return { owner, workspaceId: ws.id, ana, carl };
  }

  const filesOf = (...exportIds: string[]) =>
    readdirSync(exportDir).filter((name) => exportIds.some((id) => name.includes(id)));

  it("erasing a contact discards every stored export that may hold them: another contact's, a member's, a former member's", async () => {
    const { owner, workspaceId, ana, carl } = await anaOnCarlsRecord("Stored");
    // A former admin who recorded Ana (their export holds the contacts they created), removed before the erasure.
    const former = await app.signUp("Former Admin");
    await joinWorkspace(owner, workspaceId, former, "admin");
    const anaTwin = await former.client.contacts.create.mutate({
      workspaceId,
      name: ana.name,
      email: "ana.twin@p.example",
    });
    const outsider = await app.signUp("Outsider");
    await outsider.client.workspaces.create.mutate({ name: "Elsewhere" });

    const carlsExport = await owner.client.gdpr.exportContact.mutate({ workspaceId, contactId: carl.id });
    const ownersExport = await owner.client.gdpr.requestExport.mutate({});
    const formersExport = await former.client.gdpr.requestExport.mutate({});
    const outsidersExport = await outsider.client.gdpr.requestExport.mutate({});
    for (const { exportId } of [carlsExport, ownersExport, formersExport, outsidersExport])
      expect((await app.runtime.services.gdprExports.run(exportId, jobContext)).sizeBytes).toBeGreaterThan(0);
    const carlsLink = (await owner.client.gdpr.exportStatus.query({ exportId: carlsExport.exportId })).downloadUrl!;
    const zip = await JSZip.loadAsync(await (await download(app, carlsLink, owner.accessToken)).arrayBuffer());
    expect(await zip.file("interactions.json")!.async("string")).toContain(ana.id);
    await owner.client.workspaces.removeMember.mutate({ workspaceId, userId: former.userId });

    await owner.client.gdpr.eraseContact.mutate({ workspaceId, contactId: ana.id, reason: "Art. 17 request" });
    await owner.client.gdpr.eraseContact.mutate({
      workspaceId,
      contactId: anaTwin.id,
      reason: "Art. 17 request, second record",
    });

    const discarded = [carlsExport.exportId, ownersExport.exportId, formersExport.exportId];
    for (const [user, exportId] of [
      [owner, carlsExport.exportId],
      [owner, ownersExport.exportId],
      [former, formersExport.exportId],
    ] as const) {
      const status = await user.client.gdpr.exportStatus.query({ exportId });
      expect(status).toMatchObject({ status: "discarded", discardReason: "subject_erased" });
      expect(status.downloadUrl).toBeUndefined();
    }
    expect((await download(app, carlsLink, owner.accessToken)).status).toBe(404);
    expect(filesOf(...discarded)).toEqual([]);
    expect(
      (
        await app.sql`SELECT count(*)::int AS n FROM gdpr_exports WHERE id IN ${app.sql(discarded)} AND file_key IS NULL`
      )[0]!.n,
    ).toBe(3);
    // An export that cannot hold her stays.
    expect(
      (await outsider.client.gdpr.exportStatus.query({ exportId: outsidersExport.exportId })).downloadUrl,
    ).toBeDefined();
    expect(filesOf(outsidersExport.exportId)).toHaveLength(1);
  });

  it("a former owner's export, made while they owned the workspace, is discarded too", async () => {
    const { owner, workspaceId, ana } = await anaOnCarlsRecord("Handover");
    const successor = await app.signUp("Successor");
    await joinWorkspace(owner, workspaceId, successor, "admin");
    // Made while owner: it holds every contact of the workspace, Ana included.
    const ownersExport = await owner.client.gdpr.requestExport.mutate({});
    expect((await app.runtime.services.gdprExports.run(ownersExport.exportId, jobContext)).sizeBytes).toBeGreaterThan(
      0,
    );
    // Their only tie left is the past membership: the records are the successor's (as after an import by them).
    await app.sql`UPDATE contacts SET created_by = ${successor.userId} WHERE workspace_id = ${workspaceId}`;
    await app.sql`UPDATE interactions SET created_by = ${successor.userId} WHERE workspace_id = ${workspaceId}`;
    await owner.client.workspaces.transferOwnership.mutate({ workspaceId, userId: successor.userId });
    await owner.client.workspaces.removeMember.mutate({ workspaceId, userId: owner.userId });

    await successor.client.gdpr.eraseContact.mutate({ workspaceId, contactId: ana.id, reason: "Art. 17 request" });
    expect(await owner.client.gdpr.exportStatus.query({ exportId: ownersExport.exportId })).toMatchObject({
      status: "discarded",
      discardReason: "subject_erased",
    });
    expect(filesOf(ownersExport.exportId)).toEqual([]);
  });

  it("an export being written while an erasure commits never becomes downloadable", async () => {
    const { owner, workspaceId, ana, carl } = await anaOnCarlsRecord("Racing");
    const carlsExport = await owner.client.gdpr.exportContact.mutate({ workspaceId, contactId: carl.id });
    const ownersExport = await owner.client.gdpr.requestExport.mutate({});
    // Each export reports progress once its records are read and the file written, then waits here.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const reading = new Set<string>();
    const gated = (exportId: string) => ({
      ...jobContext,
      progress: async () => {
        reading.add(exportId);
        await gate;
      },
    });
    const runs = [carlsExport, ownersExport].map(({ exportId }) =>
      app.runtime.services.gdprExports.run(exportId, gated(exportId)),
    );
    const deadline = Date.now() + 10_000;
    while (reading.size < 2) {
      if (Date.now() > deadline) throw new Error("the exports did not get to their progress report");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await owner.client.gdpr.eraseContact.mutate({ workspaceId, contactId: ana.id, reason: "Art. 17 request" });
    release();
    expect((await Promise.all(runs)).map((r) => r.sizeBytes)).toEqual([0, 0]);
    for (const { exportId } of [carlsExport, ownersExport]) {
      const status = await owner.client.gdpr.exportStatus.query({ exportId });
      expect(status).toMatchObject({ status: "discarded", discardReason: "subject_erased" });
      expect(status.downloadUrl).toBeUndefined();
    }
    expect(filesOf(carlsExport.exportId, ownersExport.exportId)).toEqual([]);
    // A new export after the erasure is clean and served.
    const again = await owner.client.gdpr.exportContact.mutate({ workspaceId, contactId: carl.id });
    expect((await app.runtime.services.gdprExports.run(again.exportId, jobContext)).sizeBytes).toBeGreaterThan(0);
    const link = (await owner.client.gdpr.exportStatus.query({ exportId: again.exportId })).downloadUrl!;
    const zip = await JSZip.loadAsync(await (await download(app, link, owner.accessToken)).arrayBuffer());
    const listed = await zip.file("interactions.json")!.async("string");
    for (const value of [ana.name, ana.email!, "600 111 222", "Participant SL"]) expect(listed).not.toContain(value);
  });
});
