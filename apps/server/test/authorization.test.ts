import { appRouter } from "@rapport/api";
import type { RapportClient } from "@rapport/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";
import { joinWorkspace } from "./support/members";

/**
 * Every workspace-scoped procedure, called by a member of workspace A with
 * workspace B's ids, must reveal nothing of B. The table below must name every
 * such procedure in the router: a new procedure without an entry fails here.
 */
interface Ids {
  workspaceId: string;
  contactId: string;
  interactionId: string;
  userId: string;
  invitationId: string;
  taskId: string;
}
type Call = (client: RapportClient, ids: Ids) => Promise<unknown>;

/** A subscription's first message, or the error that refused it. */
function firstMessage(
  subscribe: (handlers: { onData(data: unknown): void; onError(error: unknown): void }) => {
    unsubscribe(): void;
  },
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const subscription = subscribe({
      onData(data) {
        subscription.unsubscribe();
        resolve(data);
      },
      onError: reject,
    });
  });
}

// Webhook endpoints and messages of no workspace the caller may see (ids that exist nowhere answer like another's).
const ENDPOINT_ID = "00000000-0000-4000-8000-00000000e001";
const MESSAGE_ID = "00000000-0000-4000-8000-00000000e002";
const endpointRef = (ids: Ids) => ({ workspaceId: ids.workspaceId, endpointId: ENDPOINT_ID });
// An import and a mapping template of no workspace the caller may see.
const IMPORT_ID = "00000000-0000-4000-8000-00000000e003";
const TEMPLATE_ID = "00000000-0000-4000-8000-00000000e004";
// A saved view of no workspace the caller may see.
const VIEW_ID = "00000000-0000-4000-8000-00000000e005";
// The other contact of a pair and a merge that exist nowhere: the pair is refused for the contact of B.
const OTHER_CONTACT_ID = "00000000-0000-4000-8000-00000000d001";
const MERGE_ID = "00000000-0000-4000-8000-00000000d002";
const mergeRef = (ids: Ids) => ({
  workspaceId: ids.workspaceId,
  survivorId: ids.contactId,
  mergedId: OTHER_CONTACT_ID,
});

const workspaceProcedures: Record<string, Call> = {
  "contacts.bulk": (c, ids) =>
    c.contacts.bulk.mutate({ workspaceId: ids.workspaceId, filter: {}, action: "tag", tag: "intruder" }),
  "imports.preview": (c, ids) => c.imports.preview.query({ workspaceId: ids.workspaceId, importId: IMPORT_ID }),
  "imports.start": (c, ids) =>
    c.imports.start.mutate({
      workspaceId: ids.workspaceId,
      importId: IMPORT_ID,
      mapping: ["name"],
      badRows: "skip",
      existing: "fill",
    }),
  "imports.get": (c, ids) => c.imports.get.query({ workspaceId: ids.workspaceId, importId: IMPORT_ID }),
  "imports.list": (c, ids) => c.imports.list.query({ workspaceId: ids.workspaceId }),
  "imports.templates": (c, ids) => c.imports.templates.query({ workspaceId: ids.workspaceId }),
  "imports.saveTemplate": (c, ids) =>
    c.imports.saveTemplate.mutate({
      workspaceId: ids.workspaceId,
      name: "Intruder",
      headers: ["n"],
      mapping: ["name"],
    }),
  "imports.deleteTemplate": (c, ids) =>
    c.imports.deleteTemplate.mutate({ workspaceId: ids.workspaceId, templateId: TEMPLATE_ID }),
  "views.list": (c, ids) => c.views.list.query({ workspaceId: ids.workspaceId }),
  "views.create": (c, ids) =>
    c.views.create.mutate({
      workspaceId: ids.workspaceId,
      name: "Intruder",
      shared: true,
      filters: {},
      sort: "name",
      columns: ["name"],
    }),
  "views.update": (c, ids) =>
    c.views.update.mutate({ workspaceId: ids.workspaceId, viewId: VIEW_ID, patch: { name: "Intruder" } }),
  "views.delete": (c, ids) => c.views.delete.mutate({ workspaceId: ids.workspaceId, viewId: VIEW_ID }),
  "webhooks.eventTypes": (c, ids) => c.webhooks.eventTypes.query({ workspaceId: ids.workspaceId }),
  "webhooks.list": (c, ids) => c.webhooks.list.query({ workspaceId: ids.workspaceId }),
  "webhooks.get": (c, ids) => c.webhooks.get.query(endpointRef(ids)),
  "webhooks.create": (c, ids) =>
    c.webhooks.create.mutate({ workspaceId: ids.workspaceId, url: "https://hooks.example.com/", eventTypes: ["*"] }),
  "webhooks.update": (c, ids) => c.webhooks.update.mutate({ ...endpointRef(ids), enabled: false }),
  "webhooks.delete": (c, ids) => c.webhooks.delete.mutate(endpointRef(ids)),
  "webhooks.rotateSecret": (c, ids) => c.webhooks.rotateSecret.mutate(endpointRef(ids)),
  "webhooks.messages": (c, ids) => c.webhooks.messages.query(endpointRef(ids)),
  "webhooks.attempts": (c, ids) => c.webhooks.attempts.query({ workspaceId: ids.workspaceId, messageId: MESSAGE_ID }),
  "webhooks.replay": (c, ids) => c.webhooks.replay.mutate({ workspaceId: ids.workspaceId, messageId: MESSAGE_ID }),
  "webhooks.sendTest": (c, ids) => c.webhooks.sendTest.mutate(endpointRef(ids)),
  "webhooks.recover": (c, ids) => c.webhooks.recover.mutate({ ...endpointRef(ids), since: new Date() }),
  "webhooks.recoverStatus": (c, ids) =>
    c.webhooks.recoverStatus.query({ workspaceId: ids.workspaceId, jobId: "webhook-recover-unknown" }),
  "workspaces.members": (c, ids) => c.workspaces.members.query({ workspaceId: ids.workspaceId }),
  "workspaces.update": (c, ids) => c.workspaces.update.mutate({ workspaceId: ids.workspaceId, name: "Intruded" }),
  "invitations.invite": (c, ids) =>
    c.invitations.invite.mutate({ workspaceId: ids.workspaceId, email: "nobody-here@example.com" }),
  "invitations.listPending": (c, ids) => c.invitations.listPending.query({ workspaceId: ids.workspaceId }),
  "invitations.revoke": (c, ids) =>
    c.invitations.revoke.mutate({ workspaceId: ids.workspaceId, invitationId: ids.invitationId }),
  "workspaces.setRole": (c, ids) =>
    c.workspaces.setRole.mutate({ workspaceId: ids.workspaceId, userId: ids.userId, role: "member" }),
  "workspaces.removeMember": (c, ids) =>
    c.workspaces.removeMember.mutate({ workspaceId: ids.workspaceId, userId: ids.userId }),
  "workspaces.transferOwnership": (c, ids) =>
    c.workspaces.transferOwnership.mutate({ workspaceId: ids.workspaceId, userId: ids.userId }),
  // B's name: typed for A it is the wrong confirmation, so nothing here can delete A.
  "workspaces.requestDeletion": (c, ids) =>
    c.workspaces.requestDeletion.mutate({ workspaceId: ids.workspaceId, confirmation: "B" }),
  "workspaces.cancelDeletion": (c, ids) => c.workspaces.cancelDeletion.mutate({ workspaceId: ids.workspaceId }),
  "workspaces.deletionStatus": (c, ids) => c.workspaces.deletionStatus.query({ workspaceId: ids.workspaceId }),
  "contacts.create": (c, ids) => c.contacts.create.mutate({ workspaceId: ids.workspaceId, name: "Intruder" }),
  "contacts.bulkCreate": (c, ids) =>
    c.contacts.bulkCreate.mutate({ workspaceId: ids.workspaceId, contacts: [{ name: "Intruder" }] }),
  "contacts.get": (c, ids) =>
    c.contacts.get.query({ workspaceId: ids.workspaceId, contactId: ids.contactId, includeDeleted: true }),
  "contacts.list": (c, ids) => c.contacts.list.query({ workspaceId: ids.workspaceId }),
  "contacts.count": (c, ids) => c.contacts.count.query({ workspaceId: ids.workspaceId }),
  "duplicates.scan": (c, ids) => c.duplicates.scan.mutate({ workspaceId: ids.workspaceId }),
  "duplicates.list": (c, ids) => c.duplicates.list.query({ workspaceId: ids.workspaceId }),
  "duplicates.check": (c, ids) => c.duplicates.check.query({ workspaceId: ids.workspaceId, name: "Bea", company: "B" }),
  "duplicates.dismiss": (c, ids) =>
    c.duplicates.dismiss.mutate({ workspaceId: ids.workspaceId, contactIds: [ids.contactId, OTHER_CONTACT_ID] }),
  "duplicates.previewMerge": (c, ids) => c.duplicates.previewMerge.query(mergeRef(ids)),
  "duplicates.merge": (c, ids) => c.duplicates.merge.mutate(mergeRef(ids)),
  "duplicates.undoMerge": (c, ids) =>
    c.duplicates.undoMerge.mutate({ workspaceId: ids.workspaceId, mergeId: MERGE_ID }),
  "duplicates.merges": (c, ids) => c.duplicates.merges.query({ workspaceId: ids.workspaceId }),
  "search.query": (c, ids) => c.search.query.query({ workspaceId: ids.workspaceId, q: "bea" }),
  "search.suggest": (c, ids) => c.search.suggest.query({ workspaceId: ids.workspaceId, q: "bea" }),
  "contacts.update": (c, ids) =>
    c.contacts.update.mutate({ workspaceId: ids.workspaceId, contactId: ids.contactId, patch: { name: "Hacked" } }),
  "contacts.delete": (c, ids) =>
    c.contacts.delete.mutate({ workspaceId: ids.workspaceId, contactIds: [ids.contactId] }),
  "contacts.restore": (c, ids) => c.contacts.restore.mutate({ workspaceId: ids.workspaceId, contactId: ids.contactId }),
  "interactions.create": (c, ids) =>
    c.interactions.create.mutate({
      workspaceId: ids.workspaceId,
      contactId: ids.contactId,
      type: "note",
      occurredAt: new Date(),
      subject: "Catch-up",
    }),
  "interactions.listForContact": (c, ids) =>
    c.interactions.listForContact.query({ workspaceId: ids.workspaceId, contactId: ids.contactId }),
  "interactions.delete": (c, ids) =>
    c.interactions.delete.mutate({ workspaceId: ids.workspaceId, interactionId: ids.interactionId }),
  "activity.list": (c, ids) => c.activity.list.query({ workspaceId: ids.workspaceId }),
  "activity.live": (c, ids) =>
    firstMessage((handlers) => c.activity.live.subscribe({ workspaceId: ids.workspaceId }, handlers)),
  "audit.list": (c, ids) => c.audit.list.query({ workspaceId: ids.workspaceId }),
  "recommendations.forContact": (c, ids) =>
    c.recommendations.forContact.query({ workspaceId: ids.workspaceId, contactId: ids.contactId }),
  "reconnect.list": (c, ids) => c.reconnect.list.query({ workspaceId: ids.workspaceId }),
  "reconnect.get": (c, ids) => c.reconnect.get.query({ workspaceId: ids.workspaceId, contactId: ids.contactId }),
  "reconnect.setKeepInTouch": (c, ids) =>
    c.reconnect.setKeepInTouch.mutate({
      workspaceId: ids.workspaceId,
      contactId: ids.contactId,
      keepInTouch: { every: "week" },
    }),
  "reconnect.snooze": (c, ids) =>
    c.reconnect.snooze.mutate({
      workspaceId: ids.workspaceId,
      contactId: ids.contactId,
      until: new Date(Date.now() + 7 * 86_400_000),
    }),
  "reconnect.done": (c, ids) => c.reconnect.done.mutate({ workspaceId: ids.workspaceId, contactId: ids.contactId }),
  "tasks.create": (c, ids) =>
    c.tasks.create.mutate({
      workspaceId: ids.workspaceId,
      title: "Follow up",
      dueAt: new Date(Date.now() + 86_400_000),
      contactId: ids.contactId,
      interactionId: ids.interactionId,
    }),
  "tasks.list": (c, ids) => c.tasks.list.query({ workspaceId: ids.workspaceId, assignee: "all" }),
  "tasks.update": (c, ids) =>
    c.tasks.update.mutate({ workspaceId: ids.workspaceId, taskId: ids.taskId, patch: { title: "Hacked" } }),
  "tasks.complete": (c, ids) => c.tasks.complete.mutate({ workspaceId: ids.workspaceId, taskId: ids.taskId }),
  "tasks.reopen": (c, ids) => c.tasks.reopen.mutate({ workspaceId: ids.workspaceId, taskId: ids.taskId }),
  "tasks.delete": (c, ids) => c.tasks.delete.mutate({ workspaceId: ids.workspaceId, taskId: ids.taskId }),
  "cache.stats": (c, ids) => c.cache.stats.query({ workspaceId: ids.workspaceId }),
  "cache.invalidateWorkspace": (c, ids) => c.cache.invalidateWorkspace.mutate({ workspaceId: ids.workspaceId }),
  "cache.deleteKey": (c, ids) =>
    c.cache.deleteKey.mutate({ workspaceId: ids.workspaceId, key: `rec:${ids.workspaceId}:1:${ids.contactId}:20` }),
  "cache.keys": (c, ids) => c.cache.keys.query({ workspaceId: ids.workspaceId }),
  "cache.warmup": (c, ids) => c.cache.warmup.mutate({ workspaceId: ids.workspaceId, limit: 1 }),
  "cache.warmupStatus": (c, ids) =>
    c.cache.warmupStatus.query({ workspaceId: ids.workspaceId, jobId: `warmup-${ids.workspaceId}-00000000` }),
  "gmail.status": (c, ids) => c.gmail.status.query({ workspaceId: ids.workspaceId }),
  "gmail.authUrl": (c, ids) => c.gmail.authUrl.mutate({ workspaceId: ids.workspaceId }),
  "gmail.completeOAuth": (c, ids) =>
    c.gmail.completeOAuth.mutate({ workspaceId: ids.workspaceId, code: "4/0code", state: "state.mac" }),
  "gmail.syncNow": (c, ids) => c.gmail.syncNow.mutate({ workspaceId: ids.workspaceId }),
  "gmail.pause": (c, ids) => c.gmail.pause.mutate({ workspaceId: ids.workspaceId }),
  "gmail.resume": (c, ids) => c.gmail.resume.mutate({ workspaceId: ids.workspaceId }),
  "gmail.setFrequency": (c, ids) => c.gmail.setFrequency.mutate({ workspaceId: ids.workspaceId, minutes: 30 }),
  "gmail.updateSettings": (c, ids) =>
    c.gmail.updateSettings.mutate({ workspaceId: ids.workspaceId, aliases: ["old@alias.example"] }),
  "gmail.disconnect": (c, ids) => c.gmail.disconnect.mutate({ workspaceId: ids.workspaceId }),
  "gmail.contactInsights": (c, ids) =>
    c.gmail.contactInsights.query({ workspaceId: ids.workspaceId, contactId: ids.contactId }),
  "gmail.enrichContact": (c, ids) =>
    c.gmail.enrichContact.mutate({ workspaceId: ids.workspaceId, contactId: ids.contactId }),
  "analytics.metrics": (c, ids) => c.analytics.metrics.query({ workspaceId: ids.workspaceId }),
  "analytics.clv": (c, ids) => c.analytics.clv.query({ workspaceId: ids.workspaceId }),
  "analytics.health": (c, ids) => c.analytics.health.query({ workspaceId: ids.workspaceId }),
  "analytics.engagement": (c, ids) => c.analytics.engagement.query({ workspaceId: ids.workspaceId }),
  "analytics.topContacts": (c, ids) =>
    c.analytics.topContacts.query({ workspaceId: ids.workspaceId, sortBy: "clv", limit: 100 }),
  "analytics.timeseries": (c, ids) => c.analytics.timeseries.query({ workspaceId: ids.workspaceId }),
  "analytics.setValues": (c, ids) =>
    c.analytics.setValues.mutate({ workspaceId: ids.workspaceId, values: { note: 1 } }),
  "analytics.export": (c, ids) => c.analytics.export.mutate({ workspaceId: ids.workspaceId, format: "csv" }),
  "analytics.contactRelationship": (c, ids) =>
    c.analytics.contactRelationship.query({ workspaceId: ids.workspaceId, contactId: ids.contactId }),
  // GDPR exports; exportStatus is user-scoped (checked per export in gdpr-export.test.ts).
  "gdpr.exportContact": (c, ids) =>
    c.gdpr.exportContact.mutate({ workspaceId: ids.workspaceId, contactId: ids.contactId }),
  // GDPR erasure/restriction; the calling user's own requests are user-scoped.
  "gdpr.eraseContact": (c, ids) =>
    c.gdpr.eraseContact.mutate({ workspaceId: ids.workspaceId, contactId: ids.contactId, reason: "Art. 17 request" }),
  "gdpr.restrictContact": (c, ids) =>
    c.gdpr.restrictContact.mutate({ workspaceId: ids.workspaceId, contactId: ids.contactId }),
  "gdpr.unrestrictContact": (c, ids) =>
    c.gdpr.unrestrictContact.mutate({ workspaceId: ids.workspaceId, contactId: ids.contactId }),
  "gdpr.operations": (c, ids) => c.gdpr.operations.query({ workspaceId: ids.workspaceId }),
  "gdpr.contactPrivacy": (c, ids) =>
    c.gdpr.contactPrivacy.query({ workspaceId: ids.workspaceId, contactId: ids.contactId }),
};
// Analytics takes no record ids but the one contact's (the export route's own checks are in analytics.test.ts).
const ANALYTICS = Object.keys(workspaceProcedures).filter(
  (path) => path.startsWith("analytics.") && path !== "analytics.contactRelationship",
);
// Cache keys and warm-up jobs are confined to the workspace in the id itself; cross-workspace
// keys (FORBIDDEN) and jobs (NOT_FOUND) are covered in cache.test.ts.
const WORKSPACE_LEVEL_ONLY = [
  "cache.stats",
  "cache.invalidateWorkspace",
  "cache.deleteKey",
  "cache.keys",
  "cache.warmup",
  "cache.warmupStatus",
];

// Procedures that are not workspace-scoped, on purpose.
const PUBLIC = ["auth.register", "auth.login", "auth.refresh"];
const USER_SCOPED = [
  "auth.logout",
  "auth.me",
  "auth.updateProfile",
  "auth.changePassword",
  "auth.sessions",
  "auth.revokeSession",
  "auth.revokeOtherSessions",
  "auth.securityActivity",
  "workspaces.create",
  "workspaces.list",
  "workspaces.soleOwned",
  "workspaces.phoneCountries",
  "invitations.preview",
  "invitations.accept",
  "invitations.decline",
  "gdpr.requestExport",
  "gdpr.exportStatus",
  "gdpr.requestDeletion",
  "gdpr.cancelDeletion",
  "gdpr.executeDeletion",
  "gdpr.restrict",
  "gdpr.unrestrict",
  "gdpr.restrictionStatus",
  "gdpr.myOperations",
  "gdpr.dataLocations",
  "notifications.list",
  "notifications.unreadCount",
  "notifications.markRead",
  "notifications.markAllRead",
  "notifications.preferences",
  "notifications.updatePreferences",
  "jobs.get",
  "jobs.progress",
  "system.ping",
];

type Meta = { scope?: string; minRole?: string } | undefined;
const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Meta } }>,
).map(([path, p]) => ({
  path,
  meta: p._def.meta,
}));

describe("authorization across workspaces", () => {
  let app: TestApp;
  let alice: SignedInUser; // owner of A
  let mallory: SignedInUser; // plain member of A
  let bob: SignedInUser; // owner of B
  let a: Ids;
  let b: Ids;

  beforeAll(async () => {
    app = await createTestApp();
    [alice, bob, mallory] = await Promise.all([app.signUp("Alice"), app.signUp("Bob"), app.signUp("Mallory")]);
    const wa = await alice.client.workspaces.create.mutate({ name: "A" });
    const wb = await bob.client.workspaces.create.mutate({ name: "B" });
    await joinWorkspace(alice, wa.id, mallory);
    const ca = await alice.client.contacts.create.mutate({ workspaceId: wa.id, name: "Ana", email: "ana@a.example" });
    const cb = await bob.client.contacts.create.mutate({ workspaceId: wb.id, name: "Bea", email: "bea@b.example" });
    const ia = await alice.client.interactions.create.mutate({
      workspaceId: wa.id,
      contactId: ca.id,
      type: "call",
      direction: "inbound",
      occurredAt: new Date(),
      subject: "Catch-up",
    });
    const ib = await bob.client.interactions.create.mutate({
      workspaceId: wb.id,
      contactId: cb.id,
      type: "call",
      direction: "inbound",
      occurredAt: new Date(),
      subject: "Catch-up",
    });
    const inva = await alice.client.invitations.invite.mutate({
      workspaceId: wa.id,
      email: "invited-to-a@example.com",
    });
    const invb = await bob.client.invitations.invite.mutate({ workspaceId: wb.id, email: "invited-to-b@example.com" });
    const due = new Date(Date.now() + 86_400_000);
    const ta = await alice.client.tasks.create.mutate({ workspaceId: wa.id, title: "Call Ana", dueAt: due });
    const tb = await bob.client.tasks.create.mutate({ workspaceId: wb.id, title: "Call Bea", dueAt: due });
    a = {
      workspaceId: wa.id,
      contactId: ca.id,
      interactionId: ia.interaction.id,
      userId: alice.userId,
      invitationId: inva.invitation.id,
      taskId: ta.id,
    };
    b = {
      workspaceId: wb.id,
      contactId: cb.id,
      interactionId: ib.interaction.id,
      userId: bob.userId,
      invitationId: invb.invitation.id,
      taskId: tb.id,
    };
  });
  afterAll(() => app.close());

  it("the table covers every procedure of the router", () => {
    const scoped = procedures
      .filter((p) => p.meta?.scope === "workspace")
      .map((p) => p.path)
      .sort();
    expect(scoped).toEqual(Object.keys(workspaceProcedures).sort());
    const others = procedures
      .filter((p) => p.meta?.scope !== "workspace")
      .map((p) => p.path)
      .sort();
    expect(others).toEqual([...PUBLIC, ...USER_SCOPED].sort());
    for (const path of USER_SCOPED) expect(procedures.find((p) => p.path === path)?.meta?.scope).toBe("user");
  });

  it.each(Object.entries(workspaceProcedures))("%s with another workspace's id → NOT_FOUND", async (_path, call) => {
    const error = await errorOf(call(alice.client, b));
    expect(error.code).toBe("NOT_FOUND");
    expect(JSON.stringify(error)).not.toContain("bea@b.example");
  });

  it.each(
    Object.entries(workspaceProcedures).filter(
      ([path]) =>
        ![
          ...WORKSPACE_LEVEL_ONLY,
          ...ANALYTICS,
          "contacts.create",
          "contacts.bulkCreate",
          "contacts.list",
          "imports.list",
          "contacts.bulk",
          "imports.templates",
          "imports.saveTemplate",
          "contacts.count",
          "search.query",
          "search.suggest",
          "duplicates.scan",
          "duplicates.list",
          "duplicates.check",
          "duplicates.merges",
          "reconnect.list",
          "tasks.list",
          "webhooks.eventTypes",
          "webhooks.list",
          "webhooks.create",
          "gdpr.operations",
          "activity.list",
          "activity.live",
          "audit.list",
          "workspaces.members",
          "workspaces.update",
          "invitations.invite",
          "invitations.listPending",
          "workspaces.requestDeletion",
          "workspaces.cancelDeletion",
          "workspaces.deletionStatus",
          // The caller's own mailbox connection: no record ids.
          "gmail.status",
          "gmail.authUrl",
          "gmail.completeOAuth",
          // The caller's own and the workspace's shared views: no record ids.
          "views.list",
          "views.create",
        ].includes(path),
    ),
  )("%s with my workspace but another workspace's record ids → NOT_FOUND", async (_path, call) => {
    const error = await errorOf(
      call(alice.client, {
        ...a,
        contactId: b.contactId,
        interactionId: b.interactionId,
        userId: bob.userId,
        invitationId: b.invitationId,
        taskId: b.taskId,
      }),
    );
    expect(error.code).toBe("NOT_FOUND");
  });

  it.each(procedures.filter((p) => p.meta?.minRole === "admin" || p.meta?.minRole === "owner").map((p) => p.path))(
    "%s needs a higher role: a plain member gets FORBIDDEN",
    async (path) => {
      const call = workspaceProcedures[path]!;
      expect((await errorOf(call(mallory.client, { ...a, userId: alice.userId }))).code).toBe("FORBIDDEN");
    },
  );

  it("without a token every workspace procedure is UNAUTHORIZED", async () => {
    for (const call of Object.values(workspaceProcedures)) {
      expect((await errorOf(call(app.client(), b))).code).toBe("UNAUTHORIZED");
    }
  });

  it("after all those attempts B's data is untouched", async () => {
    const contact = await bob.client.contacts.get.query({ workspaceId: b.workspaceId, contactId: b.contactId });
    expect(contact).toMatchObject({ name: "Bea", deletedAt: null });
    const list = await bob.client.contacts.list.query({ workspaceId: b.workspaceId });
    expect(list.items.map((c) => c.name)).toEqual(["Bea"]);
    const timeline = await bob.client.interactions.listForContact.query({
      workspaceId: b.workspaceId,
      contactId: b.contactId,
    });
    expect(timeline.items).toHaveLength(1);
    const members = await bob.client.workspaces.members.query({ workspaceId: b.workspaceId });
    expect(members.map((m) => [m.userId, m.role])).toEqual([[bob.userId, "owner"]]);
    expect((await bob.client.invitations.listPending.query({ workspaceId: b.workspaceId })).map((i) => i.id)).toEqual([
      b.invitationId,
    ]);
  });
});
