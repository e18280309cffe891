import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock, type Readiness } from "@rapport/api";
import JSZip from "jszip";
import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp, type TestDriver } from "./support/app";
import { invitationToken, joinWorkspace } from "./support/members";

/**
 * Every module's main flows, once on Postgres (with Redis) and once on the embedded
 * PGlite (no Redis, as `pnpm start` runs). On PGlite the database is one connection:
 * any query that waits on the pool from inside a transaction freezes it for good, so
 * each flow ends by checking the server still answers.
 */
const DAY_MS = 86_400_000;
const drivers: TestDriver[] = ["postgres", "pglite"];

describe.each(drivers)("main flows on %s", (driver) => {
  let app: TestApp;
  let clock: ManualClock;
  let exportDir: string;
  let owner: SignedInUser;
  let workspaceId: string;
  let anaId: string;
  let benId: string;
  let doomedId: string;

  /** The server still answers: readiness, a read and a sign-in. */
  async function stillServing() {
    const ready = (await (await fetch(`${app.url}/readyz`)).json()) as Readiness;
    expect(ready.checks.database.ok).toBe(true);
    expect((await owner.client.contacts.list.query({ workspaceId })).items.length).toBeGreaterThan(0);
    owner = await app.signIn(owner);
  }

  async function runJob(name: string) {
    const jobId = await app.runtime.queue.enqueue(name, {});
    for (let i = 0; i < 500; i++) {
      const status = await app.runtime.queue.status(jobId);
      if (status?.state === "completed") return status.result;
      if (status?.state === "failed") throw new Error(`${name} failed: ${status.failedReason}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${name} did not finish`);
  }

  beforeAll(async () => {
    exportDir = mkdtempSync(join(tmpdir(), `rapport-flows-${driver}-`));
    clock = new ManualClock(new Date());
    app = await createTestApp({ driver, clock, env: { EXPORT_DIR: exportDir } });
    expect(app.runtime.database.kind).toBe(driver);
  });
  afterAll(async () => {
    await app?.close();
    rmSync(exportDir, { recursive: true, force: true });
  });

  it("auth: register, login, refresh, me", async () => {
    owner = await app.signUp("Olga Owner");
    const login = await app.client().auth.login.mutate({ email: owner.email, password: owner.password });
    const refreshed = await app.client().auth.refresh.mutate({ refreshToken: login.refreshToken! });
    expect(refreshed.refreshToken).not.toBe(login.refreshToken);
    expect((await app.client(refreshed.accessToken).auth.me.query()).user.email).toBe(owner.email);
    expect(
      (await errorOf(app.client().auth.login.mutate({ email: owner.email, password: "not the password" }))).code,
    ).toBe("UNAUTHORIZED");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: `Flows on ${driver}` })).id;
  });

  it("contacts: create, CSV import (bulk), update, list, bulk delete and restore", async () => {
    const ana = await owner.client.contacts.create.mutate({
      workspaceId,
      name: "Ana Alvarez",
      email: "ana@flows.example",
      company: "Acme",
      tags: ["vip"],
    });
    const ben = await owner.client.contacts.create.mutate({
      workspaceId,
      name: "Ben Brook",
      email: "ben@flows.example",
      company: "Acme",
    });
    anaId = ana.id;
    benId = ben.id;
    // The import sends parsed CSV rows; 25 new contacts also trigger the recommendations warm-up consumer.
    const imported = await owner.client.contacts.bulkCreate.mutate({
      workspaceId,
      contacts: Array.from({ length: 25 }, (_, i) => ({
        name: `Imported ${i}`,
        email: `imported${i}@flows.example`,
        company: i % 2 ? "Acme" : "Globex",
      })),
    });
    expect(imported.created).toBe(25);
    await owner.client.contacts.update.mutate({ workspaceId, contactId: anaId, patch: { title: "CTO" } });
    expect((await owner.client.contacts.get.query({ workspaceId, contactId: anaId })).title).toBe("CTO");
    expect((await owner.client.contacts.list.query({ workspaceId, tag: "vip" })).items.map((c) => c.id)).toEqual([
      anaId,
    ]);

    const removed = await owner.client.contacts.delete.mutate({ workspaceId, contactIds: imported.ids.slice(0, 5) });
    expect(removed.deletedIds).toHaveLength(5);
    await owner.client.contacts.restore.mutate({ workspaceId, contactId: imported.ids[0]! });
    expect((await owner.client.contacts.list.query({ workspaceId, limit: 100 })).items).toHaveLength(2 + 25 - 4);
    expect(await app.runtime.dispatcher.drain()).toBe(true);
    await stillServing();
  });

  it("interactions: create with participants, timeline, delete", async () => {
    const at = (daysAgo: number) => new Date(clock.now().getTime() - daysAgo * DAY_MS);
    await owner.client.interactions.create.mutate({
      workspaceId,
      contactId: anaId,
      type: "meeting",
      direction: "outbound",
      occurredAt: at(3),
      subject: "Kick-off",
      participants: [{ contactId: benId, role: "attendee" }],
    });
    await owner.client.interactions.create.mutate({
      workspaceId,
      contactId: anaId,
      type: "email",
      direction: "inbound",
      occurredAt: at(1),
      subject: "Follow-up",
    });
    const call = await owner.client.interactions.create.mutate({
      workspaceId,
      contactId: benId,
      type: "call",
      direction: "inbound",
      occurredAt: at(2),
      subject: "Catch-up",
    });
    expect(
      (await owner.client.interactions.listForContact.query({ workspaceId, contactId: anaId })).items,
    ).toHaveLength(2);
    // Ben's timeline holds his own call and the meeting he attended; deleting the call leaves the meeting.
    const benSubjects = async () =>
      (await owner.client.interactions.listForContact.query({ workspaceId, contactId: benId })).items.map(
        (item) => item.subject,
      );
    expect((await benSubjects()).sort()).toEqual(["Catch-up", "Kick-off"]);
    await owner.client.interactions.delete.mutate({ workspaceId, interactionId: call.interaction.id });
    expect(await benSubjects()).toEqual(["Kick-off"]);
    expect(await app.runtime.dispatcher.drain()).toBe(true);
    await stillServing();
  });

  it("recommendations for a contact", async () => {
    const recs = await owner.client.recommendations.forContact.query({
      workspaceId,
      contactId: benId,
      includeKnown: true,
    });
    expect(recs.items.map((item) => item.contactId)).toContain(anaId);
    await stillServing();
  });

  it("analytics: metrics, timeseries and the CSV export", async () => {
    const metrics = await owner.client.analytics.metrics.query({ workspaceId });
    expect(metrics.contacts).toBe(23);
    expect(metrics.engagement.interactions30d).toBe(2);
    expect((await owner.client.analytics.timeseries.query({ workspaceId, timeZone: "UTC" })).totals.total).toBe(2);
    const link = await owner.client.analytics.export.mutate({ workspaceId, format: "csv", sortBy: "interactions" });
    const response = await fetch(`${app.url}${link.url}`);
    expect(response.status).toBe(200);
    const rows = Papa.parse<Record<string, string>>(await response.text(), { header: true, skipEmptyLines: true }).data;
    expect(rows).toHaveLength(23);
    expect(rows[0]).toMatchObject({ name: "Ana Alvarez", interaction_count: "2" });
    await stillServing();
  });

  it("GDPR: contact export is built and downloaded", async () => {
    const requested = await owner.client.gdpr.exportContact.mutate({ workspaceId, contactId: anaId });
    let status = await owner.client.gdpr.exportStatus.query({ exportId: requested.exportId });
    for (let i = 0; i < 600 && status.status !== "completed" && status.status !== "failed"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await owner.client.gdpr.exportStatus.query({ exportId: requested.exportId });
    }
    expect(status.status).toBe("completed");
    const response = await fetch(`${app.url}${status.downloadUrl}`, {
      headers: { authorization: `Bearer ${owner.accessToken}` },
    });
    expect(response.status).toBe(200);
    const zip = await JSZip.loadAsync(await response.arrayBuffer());
    const contents = await Promise.all(Object.values(zip.files).map((file) => file.async("string")));
    expect(contents.join("\n")).toContain("ana@flows.example");
    await stillServing();
  });

  // The embedded regression: erasure's consumer queried the pool inside the dispatcher's
  // transaction, and every query after it waited forever on PGlite's one connection.
  it("GDPR: contact erasure discards the export, and the server keeps answering", async () => {
    const result = await owner.client.gdpr.eraseContact.mutate({
      workspaceId,
      contactId: anaId,
      reason: "Art. 17 request",
    });
    expect(result).toMatchObject({ status: "completed" });
    expect(await app.runtime.dispatcher.drain({ timeoutMs: 5_000 })).toBe(true);
    const exports = await app.query<{
      file_key: string | null;
    }>`SELECT file_key FROM gdpr_exports WHERE subject_id = ${anaId}`;
    expect(exports).toEqual([{ file_key: null }]);
    expect(await app.query`SELECT name, email FROM contacts WHERE id = ${anaId}`).toEqual([
      { name: "Erased contact", email: null },
    ]);
    await owner.client.contacts.create.mutate({ workspaceId, name: "Cleo After", email: "cleo@flows.example" });
    await stillServing();
  }, 15_000);

  it("GDPR: restriction of a contact and of one's own processing", async () => {
    const restricted = await owner.client.gdpr.restrictContact.mutate({ workspaceId, contactId: benId });
    expect(restricted.restricted).toBe(true);
    expect((await errorOf(owner.client.recommendations.forContact.query({ workspaceId, contactId: benId }))).code).toBe(
      "FORBIDDEN",
    );
    await owner.client.gdpr.unrestrictContact.mutate({ workspaceId, contactId: benId });
    const rita = await app.signUp("Rita Restrict");
    expect((await rita.client.gdpr.restrict.mutate()).restricted).toBe(true);
    expect((await rita.client.gdpr.restrictionStatus.query()).restricted).toBe(true);
    await rita.client.gdpr.unrestrict.mutate();
    expect(await app.runtime.dispatcher.drain()).toBe(true);
    await stillServing();
  });

  it("invitations: invite, accept, decline, withdraw; nothing expired yet for the purge job", async () => {
    const [ina, dan] = await Promise.all([app.signUp("Ina Invitee"), app.signUp("Dan Decliner")]);
    const accepted = await owner.client.invitations.invite.mutate({ workspaceId, email: ina.email, role: "admin" });
    expect(await ina.client.invitations.preview.query({ token: invitationToken(accepted.link) })).toMatchObject({
      workspaceId,
      state: "pending",
    });
    expect(await ina.client.invitations.accept.mutate({ token: invitationToken(accepted.link) })).toMatchObject({
      workspaceId,
      role: "admin",
    });
    await ina.client.contacts.list.query({ workspaceId });
    const declined = await owner.client.invitations.invite.mutate({ workspaceId, email: dan.email });
    await dan.client.invitations.decline.mutate({ token: invitationToken(declined.link) });
    const withdrawn = await owner.client.invitations.invite.mutate({ workspaceId, email: "never@flows.example" });
    await owner.client.invitations.revoke.mutate({ workspaceId, invitationId: withdrawn.invitation.id });
    expect(await owner.client.invitations.listPending.query({ workspaceId })).toEqual([]);
    await owner.client.invitations.invite.mutate({ workspaceId, email: "later@flows.example" });
    expect(await runJob("workspaces.purge-invitations")).toEqual({ deleted: 0 });
    expect(await app.runtime.dispatcher.drain()).toBe(true);
    await stillServing();
  });

  it("workspaces: an admin joins, ownership handed over and back, deletion scheduled", async () => {
    const ivy = await app.signUp("Ivy Invitee");
    const name = `Doomed on ${driver}`;
    doomedId = (await owner.client.workspaces.create.mutate({ name })).id;
    await owner.client.contacts.create.mutate({
      workspaceId: doomedId,
      name: "Dora Doomed",
      email: "dora@flows.example",
    });
    await joinWorkspace(owner, doomedId, ivy, "admin");
    expect((await owner.client.workspaces.members.query({ workspaceId: doomedId })).map((m) => m.role).sort()).toEqual([
      "admin",
      "owner",
    ]);
    await owner.client.workspaces.transferOwnership.mutate({ workspaceId: doomedId, userId: ivy.userId });
    await ivy.client.workspaces.transferOwnership.mutate({ workspaceId: doomedId, userId: owner.userId });
    expect(
      await owner.client.workspaces.requestDeletion.mutate({ workspaceId: doomedId, confirmation: name }),
    ).toMatchObject({ status: "scheduled" });
    expect(await app.runtime.dispatcher.drain()).toBe(true);
    await stillServing();
  });

  it("GDPR: account deletion runs after the grace period; the user cannot sign in", async () => {
    const leaver = await app.signUp("Lea Leaver");
    // An open invitation to the leaver's address goes with the account (the retention test counts the rest).
    await owner.client.invitations.invite.mutate({ workspaceId, email: leaver.email });
    const scheduled = await leaver.client.gdpr.requestDeletion.mutate({ reason: "leaving", password: leaver.password });
    expect(scheduled).toMatchObject({ status: "scheduled" });
    clock.advance(31 * DAY_MS);
    owner = await app.signIn(owner);
    expect(await runJob("gdpr.run-due-deletions")).toEqual({ executed: 1, failed: 0 });
    expect(
      (await errorOf(app.client().auth.login.mutate({ email: leaver.email, password: leaver.password }))).code,
    ).toBe("UNAUTHORIZED");
    expect(await app.runtime.dispatcher.drain()).toBe(true);
    await stillServing();
  });

  it("workspaces: the due deletion removes the workspace and its data", async () => {
    // The clock is 31 days on: past the grace period of the deletion scheduled above.
    expect(await runJob("workspaces.run-due-deletions")).toEqual({ executed: 1, failed: 0 });
    expect(await app.query`SELECT id FROM workspaces WHERE id = ${doomedId}`).toEqual([]);
    expect(await app.query`SELECT id FROM contacts WHERE workspace_id = ${doomedId}`).toEqual([]);
    expect(await app.runtime.dispatcher.drain()).toBe(true);
    await stillServing();
  });

  it("retention jobs: soft-deleted contacts purged, audit and sessions enforced", async () => {
    // The clock is 31 days on: the 4 contacts bulk-deleted above are past the 30-day retention.
    expect(await runJob("contacts.purge-deleted")).toEqual({ purged: 4 });
    expect(await runJob("gdpr.enforce-retention")).toMatchObject({ auditDeleted: 0 });
    // The four invitations above expired after 7 days; the leaver's went with the erasure.
    expect(await runJob("workspaces.purge-invitations")).toEqual({ deleted: 4 });
    expect(await app.runtime.dispatcher.drain()).toBe(true);
    await stillServing();
  });
});
