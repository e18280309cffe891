/**
 * Every procedure of the app router, called with input that must never reach
 * the database: a NUL character in each string, and for each date an instant
 * PostgreSQL cannot hold (`+275760-09-13T00:00:00.000Z`) or `null`, `true`,
 * `false` (which coercion used to read as 1 January 1970). Each must answer
 * BAD_REQUEST and write nothing; then the unchanged base input must succeed, so
 * the refusal is known to come from the bad value and not from a broken base.
 *
 * Adding a procedure: add its path to `BASE_INPUTS` below with a function that
 * returns a VALID input for a fresh fixture (an owner with a workspace, a
 * contact and an interaction; a second user who is an admin there). Fill in
 * every optional string and date field, dates as `Date` instances: the bad
 * variants are derived from the strings and Dates it finds, and the test fails
 * naming any string or date field of the input schema the base leaves out
 * (cursors: use `encodeCursor` with values of the right shape). Procedures without
 * input map to `() => undefined`. Use `as` for the caller and `setup` for state
 * the call needs (e.g. a pending deletion). The first test fails, naming the
 * path, until the entry exists.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startGoogleFake, type GoogleFake } from "@rapport/google-fake";
import { appRouter } from "@rapport/api";
import { encodeCursor } from "../../../packages/api/src/lib/cursor";
import type { RapportClient } from "@rapport/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";

interface Fixture {
  app: TestApp;
  owner: SignedInUser;
  /** Admin of the workspace, owner of nothing (may request their own deletion). */
  admin: SignedInUser;
  workspaceId: string;
  contactId: string;
  interactionId: string;
}

type Input = Record<string, unknown> | undefined;

interface BaseInput {
  input: (f: Fixture) => Input | Promise<Input>;
  /** Who calls: the workspace owner (default), the admin, or nobody (public procedures). */
  as?: "owner" | "admin" | "anonymous";
  /** State the call needs, created before each call (bad and base). */
  setup?: (f: Fixture) => Promise<void>;
}

const hourAgo = () => new Date(Date.now() - 3_600_000);
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
const freshEmail = () => `new.${randomBytes(4).toString("hex")}@example.com`;

const BASE_INPUTS: Record<string, BaseInput> = {
  "auth.register": {
    as: "anonymous",
    input: () => ({ email: freshEmail(), password: "a long enough password", name: "New Person" }),
  },
  "auth.login": { as: "anonymous", input: (f) => ({ email: f.owner.email, password: f.owner.password }) },
  "auth.refresh": { as: "anonymous", input: (f) => ({ refreshToken: f.owner.refreshToken }) },
  "auth.logout": { input: () => undefined },
  "auth.me": { input: () => undefined },
  "auth.updateProfile": { input: () => ({ name: "Renamed Person" }) },
  "auth.changePassword": {
    input: (f) => ({ currentPassword: f.owner.password, newPassword: "another long passphrase 7" }),
  },
  "auth.sessions": { input: () => undefined },
  "auth.revokeSession": {
    input: async (f) => {
      const elsewhere = await f.app.signIn(f.owner);
      const session = (await elsewhere.client.auth.sessions.query()).find((s) => s.current);
      return { sessionId: session!.id };
    },
  },
  "auth.revokeOtherSessions": { input: () => undefined },
  "auth.securityActivity": { input: () => undefined },

  "workspaces.create": { input: () => ({ name: "Second workspace" }) },
  "workspaces.list": { input: () => undefined },
  "workspaces.members": { input: (f) => ({ workspaceId: f.workspaceId }) },
  "workspaces.update": { input: (f) => ({ workspaceId: f.workspaceId, name: "Renamed", phoneCountry: "DE" }) },
  "workspaces.phoneCountries": { input: () => undefined },
  "workspaces.setRole": { input: (f) => ({ workspaceId: f.workspaceId, userId: f.admin.userId, role: "member" }) },
  "workspaces.removeMember": { input: (f) => ({ workspaceId: f.workspaceId, userId: f.admin.userId }) },
  "workspaces.transferOwnership": { input: (f) => ({ workspaceId: f.workspaceId, userId: f.admin.userId }) },
  "workspaces.requestDeletion": { input: (f) => ({ workspaceId: f.workspaceId, confirmation: "Bad input" }) },
  "workspaces.cancelDeletion": {
    setup: async (f) => {
      await f.owner.client.workspaces.requestDeletion.mutate({ workspaceId: f.workspaceId, confirmation: "Bad input" });
    },
    input: (f) => ({ workspaceId: f.workspaceId }),
  },
  "workspaces.deletionStatus": { input: (f) => ({ workspaceId: f.workspaceId }) },
  "workspaces.soleOwned": { input: () => undefined },

  "invitations.invite": { input: (f) => ({ workspaceId: f.workspaceId, email: freshEmail(), role: "member" }) },
  "invitations.listPending": { input: (f) => ({ workspaceId: f.workspaceId }) },
  "invitations.revoke": {
    input: async (f) => ({
      workspaceId: f.workspaceId,
      invitationId: (await openInvitation(f, f.workspaceId)).invitationId,
    }),
  },
  "invitations.preview": { input: async (f) => ({ token: (await openInvitation(f)).token }) },
  "invitations.accept": { input: async (f) => ({ token: (await openInvitation(f)).token }) },
  "invitations.decline": { input: async (f) => ({ token: (await openInvitation(f)).token }) },

  "contacts.create": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      name: "Ana Ruiz",
      email: "ana.ruiz@example.com",
      company: "Acme",
      title: "CTO",
      phone: "+1 555 0100",
      tags: ["vip"],
      source: "manual",
    }),
  },
  "contacts.bulkCreate": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      contacts: [
        {
          name: "Bo Lee",
          email: "bo.lee@example.com",
          company: "Initech",
          title: "CEO",
          phone: "555 0101",
          tags: ["lead"],
          source: "import",
        },
      ],
    }),
  },
  "contacts.get": { input: (f) => ({ workspaceId: f.workspaceId, contactId: f.contactId, includeDeleted: false }) },
  "contacts.list": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      limit: 10,
      sort: "name",
      tag: "vip",
      company: "Acme",
      source: "manual",
      updatedSince: daysAgo(7),
      search: "Car",
      cursor: encodeCursor(["carla", f.contactId]),
      deleted: false,
    }),
  },
  "contacts.count": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      tag: "vip",
      company: "Acme",
      source: "manual",
      search: "Car",
      deleted: false,
    }),
  },
  "search.query": {
    input: (f) => ({ workspaceId: f.workspaceId, q: "Car", types: ["contact", "interaction"], limit: 10 }),
  },
  "search.suggest": { input: (f) => ({ workspaceId: f.workspaceId, q: "Car", limit: 5 }) },
  "duplicates.scan": { input: (f) => ({ workspaceId: f.workspaceId }) },
  "duplicates.list": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      cursor: encodeCursor([0.9, f.contactId, f.interactionId]),
      limit: 10,
    }),
  },
  "duplicates.check": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      name: "Carla Diaz",
      email: "carla.diaz@example.com",
      company: "Acme",
      phone: "+1 555 0100",
    }),
  },
  "duplicates.dismiss": {
    setup: createTwin,
    input: (f) => ({ workspaceId: f.workspaceId, contactIds: [f.contactId, twinState.get(f)!] }),
  },
  "duplicates.previewMerge": { setup: createTwin, input: (f) => mergeInput(f) },
  "duplicates.merge": { setup: createTwin, input: (f) => mergeInput(f) },
  "duplicates.undoMerge": {
    setup: async (f) => {
      await createTwin(f);
      mergeState.set(f, (await f.owner.client.duplicates.merge.mutate(mergeInput(f))).mergeId);
    },
    input: (f) => ({ workspaceId: f.workspaceId, mergeId: mergeState.get(f)! }),
  },
  "duplicates.merges": { input: (f) => ({ workspaceId: f.workspaceId, limit: 5 }) },
  "contacts.update": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      contactId: f.contactId,
      patch: {
        name: "Carla Diaz",
        email: "carla.d@example.com",
        company: "Globex",
        title: "VP",
        phone: "555 0102",
        tags: ["customer"],
      },
    }),
  },
  "contacts.delete": { input: (f) => ({ workspaceId: f.workspaceId, contactIds: [f.contactId] }) },
  "contacts.bulk": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      filter: { tag: "vip", company: "Acme", search: "Ana", source: "manual", deleted: false, deletedAt: daysAgo(1) },
      action: "tag",
      tag: "fair",
    }),
  },
  "imports.preview": {
    input: async (f) => ({
      workspaceId: f.workspaceId,
      importId: await uploadImport(f),
      mapping: ["name", "email"],
      templateId: await importTemplate(f),
    }),
  },
  "imports.start": {
    input: async (f) => ({
      workspaceId: f.workspaceId,
      importId: await uploadImport(f),
      mapping: ["name", "email"],
      badRows: "skip",
      existing: "fill",
    }),
  },
  "imports.get": { input: async (f) => ({ workspaceId: f.workspaceId, importId: await uploadImport(f) }) },
  "imports.list": { input: (f) => ({ workspaceId: f.workspaceId }) },
  "imports.templates": { input: (f) => ({ workspaceId: f.workspaceId }) },
  "imports.saveTemplate": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      name: "Partners",
      headers: ["Name", "Email"],
      mapping: ["name", "email"],
    }),
  },
  "imports.deleteTemplate": {
    input: async (f) => ({ workspaceId: f.workspaceId, templateId: await importTemplate(f) }),
  },
  "views.list": { input: (f) => ({ workspaceId: f.workspaceId }) },
  "views.create": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      name: `Customers ${randomBytes(3).toString("hex")}`,
      shared: true,
      filters: { tag: "vip", company: "Acme", search: "Ana", source: "manual" },
      sort: "name",
      columns: ["name", "email", "company"],
    }),
  },
  "views.update": {
    input: async (f) => ({
      workspaceId: f.workspaceId,
      viewId: await savedView(f),
      patch: {
        name: `Renamed ${randomBytes(3).toString("hex")}`,
        shared: false,
        filters: { tag: "vip", company: "Acme", search: "Ana", source: "import" },
        sort: "created",
        columns: ["name", "tags"],
      },
    }),
  },
  "views.delete": { input: async (f) => ({ workspaceId: f.workspaceId, viewId: await savedView(f) }) },
  "contacts.restore": {
    setup: async (f) => {
      await f.owner.client.contacts.delete.mutate({ workspaceId: f.workspaceId, contactIds: [f.contactId] });
    },
    input: (f) => ({ workspaceId: f.workspaceId, contactId: f.contactId }),
  },

  "interactions.create": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      contactId: f.contactId,
      type: "meeting",
      direction: "outbound",
      occurredAt: hourAgo(),
      subject: "Kick-off",
      summary: "Talked about the plan",
      source: "gmail",
      externalId: "msg-1",
      participants: [
        { email: "dan.moe@example.com", displayName: "Dan Moe", role: "participant" },
        { contactId: f.contactId, role: "organizer" },
      ],
    }),
  },
  "interactions.listForContact": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      contactId: f.contactId,
      limit: 10,
      cursor: encodeCursor([new Date().toISOString(), f.interactionId]),
    }),
  },
  "interactions.delete": { input: (f) => ({ workspaceId: f.workspaceId, interactionId: f.interactionId }) },

  "gmail.status": { input: (f) => ({ workspaceId: f.workspaceId }) },
  "gmail.authUrl": { input: (f) => ({ workspaceId: f.workspaceId }) },
  "gmail.completeOAuth": {
    input: async (f) => ({ workspaceId: f.workspaceId, ...(await gmailConsent(f)) }),
  },
  "gmail.syncNow": { setup: connectGmail, input: (f) => ({ workspaceId: f.workspaceId, maxEmails: 10 }) },
  "gmail.pause": { setup: connectGmail, input: (f) => ({ workspaceId: f.workspaceId }) },
  "gmail.resume": { setup: connectGmail, input: (f) => ({ workspaceId: f.workspaceId }) },
  "gmail.setFrequency": { setup: connectGmail, input: (f) => ({ workspaceId: f.workspaceId, minutes: 30 }) },
  "gmail.updateSettings": {
    setup: connectGmail,
    input: (f) => ({ workspaceId: f.workspaceId, aliases: ["old@alias.example"], deleteWithMessages: true }),
  },
  "gmail.disconnect": { setup: connectGmail, input: (f) => ({ workspaceId: f.workspaceId }) },
  "gmail.contactInsights": { input: (f) => ({ workspaceId: f.workspaceId, contactId: f.contactId }) },
  "gmail.enrichContact": { input: (f) => ({ workspaceId: f.workspaceId, contactId: f.contactId }) },

  "webhooks.eventTypes": { input: (f) => ({ workspaceId: f.workspaceId }) },
  "webhooks.list": { input: (f) => ({ workspaceId: f.workspaceId }) },
  "webhooks.create": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      url: receiverUrl(),
      description: "Warehouse sync",
      eventTypes: ["interaction.deleted"],
      enabled: true,
      rateLimitPerSecond: 10,
    }),
  },
  "webhooks.get": { setup: createWebhook, input: (f) => webhookRef(f) },
  "webhooks.update": {
    setup: createWebhook,
    input: (f) => ({
      ...webhookRef(f),
      url: receiverUrl(),
      description: "Renamed",
      eventTypes: ["interaction.deleted"],
      enabled: false,
      rateLimitPerSecond: 5,
    }),
  },
  "webhooks.delete": { setup: createWebhook, input: (f) => webhookRef(f) },
  "webhooks.rotateSecret": { setup: createWebhook, input: (f) => webhookRef(f) },
  "webhooks.messages": {
    setup: createWebhook,
    input: (f) => ({
      ...webhookRef(f),
      status: "failed",
      limit: 10,
      cursor: encodeCursor([new Date().toISOString(), "00000000-0000-4000-8000-000000000000"]),
    }),
  },
  "webhooks.sendTest": { setup: createWebhook, input: (f) => webhookRef(f) },
  "webhooks.attempts": {
    setup: sendWebhookTest,
    input: (f) => ({ workspaceId: f.workspaceId, messageId: webhooksOf(f).messageId! }),
  },
  "webhooks.replay": {
    setup: sendWebhookTest,
    input: (f) => ({ workspaceId: f.workspaceId, messageId: webhooksOf(f).messageId! }),
  },
  "webhooks.recover": { setup: createWebhook, input: (f) => ({ ...webhookRef(f), since: hourAgo() }) },
  "webhooks.recoverStatus": {
    setup: async (f) => {
      await createWebhook(f);
      webhooksOf(f).jobId = (
        await f.owner.client.webhooks.recover.mutate({ ...webhookRef(f), since: hourAgo() })
      ).jobId;
    },
    input: (f) => ({ workspaceId: f.workspaceId, jobId: webhooksOf(f).jobId! }),
  },

  "activity.list": { input: (f) => ({ workspaceId: f.workspaceId, limit: 10, cursor: encodeCursor([1_000_000]) }) },
  "notifications.list": { input: () => ({ unreadOnly: true, limit: 10, cursor: encodeCursor([1_000_000]) }) },
  "notifications.unreadCount": { input: () => undefined },
  "notifications.markRead": { input: () => ({ ids: ["00000000-0000-4000-8000-0000000000a1"] }) },
  "notifications.markAllRead": { input: () => undefined },
  "notifications.preferences": { input: () => undefined },
  "notifications.updatePreferences": { input: () => ({ preferences: { "member.added": false } }) },
  // An export queued (no worker here): its progress exists from the request on.
  "jobs.get": { setup: queueExport, input: (f) => ({ jobId: exportJobs.get(f)! }) },
  "jobs.progress": { setup: queueExport, input: (f) => ({ jobId: exportJobs.get(f)! }) },
  "activity.live": { input: (f) => ({ workspaceId: f.workspaceId, types: ["contact.created"], lastEventId: "1" }) },
  "audit.list": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      action: "contact.created",
      actorId: f.owner.userId,
      limit: 10,
      cursor: encodeCursor([1_000_000]),
    }),
  },
  "recommendations.forContact": {
    input: (f) => ({ workspaceId: f.workspaceId, contactId: f.contactId, k: 5, includeKnown: true }),
  },
  "reconnect.list": { input: (f) => ({ workspaceId: f.workspaceId, limit: 10 }) },
  "reconnect.get": { input: (f) => ({ workspaceId: f.workspaceId, contactId: f.contactId }) },
  "reconnect.setKeepInTouch": {
    input: (f) => ({ workspaceId: f.workspaceId, contactId: f.contactId, keepInTouch: { every: "custom", days: 45 } }),
  },
  "reconnect.snooze": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      contactId: f.contactId,
      until: new Date(Date.now() + 7 * 86_400_000),
    }),
  },
  "reconnect.done": { input: (f) => ({ workspaceId: f.workspaceId, contactId: f.contactId }) },
  "tasks.create": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      title: "Follow up on the proposal",
      dueAt: new Date(Date.now() + 86_400_000),
      contactId: f.contactId,
      interactionId: f.interactionId,
      assigneeId: f.admin.userId,
    }),
  },
  "tasks.list": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      assignee: "all",
      view: "today",
      contactId: f.contactId,
      timeZone: "Europe/Berlin",
      limit: 10,
      cursor: encodeCursor([new Date().toISOString(), f.contactId]),
    }),
  },
  "tasks.update": {
    setup: createTask,
    input: (f) => ({
      ...taskRef(f),
      patch: {
        title: "Call back",
        dueAt: new Date(Date.now() + 2 * 86_400_000),
        assigneeId: f.admin.userId,
        contactId: f.contactId,
      },
    }),
  },
  "tasks.complete": { setup: createTask, input: (f) => taskRef(f) },
  "tasks.reopen": { setup: (f) => createTask(f, { completed: true }), input: (f) => taskRef(f) },
  "tasks.delete": { setup: createTask, input: (f) => taskRef(f) },

  "cache.stats": { input: (f) => ({ workspaceId: f.workspaceId }) },
  "cache.invalidateWorkspace": { input: (f) => ({ workspaceId: f.workspaceId }) },
  "cache.deleteKey": {
    input: (f) => ({ workspaceId: f.workspaceId, key: `rec:${f.workspaceId}:0:${f.contactId}:20` }),
  },
  "cache.keys": { input: (f) => ({ workspaceId: f.workspaceId, pattern: "rec:*", cursor: "0", limit: 10 }) },
  "cache.warmup": { input: (f) => ({ workspaceId: f.workspaceId, limit: 10, wait: false }) },
  "cache.warmupStatus": {
    input: async (f) => {
      const { jobId } = await f.owner.client.cache.warmup.mutate({
        workspaceId: f.workspaceId,
        limit: 10,
        wait: false,
      });
      return { workspaceId: f.workspaceId, jobId };
    },
  },

  "analytics.metrics": { input: (f) => ({ workspaceId: f.workspaceId, asOf: hourAgo(), sortBy: "clv", limit: 5 }) },
  "analytics.clv": { input: (f) => ({ workspaceId: f.workspaceId, asOf: hourAgo() }) },
  "analytics.health": { input: (f) => ({ workspaceId: f.workspaceId, asOf: hourAgo() }) },
  "analytics.engagement": { input: (f) => ({ workspaceId: f.workspaceId, asOf: hourAgo() }) },
  "analytics.topContacts": {
    input: (f) => ({ workspaceId: f.workspaceId, asOf: hourAgo(), sortBy: "health", limit: 5 }),
  },
  "analytics.timeseries": {
    input: (f) => ({
      workspaceId: f.workspaceId,
      from: daysAgo(14),
      to: hourAgo(),
      bucket: "day",
      timeZone: "Europe/Berlin",
    }),
  },
  "analytics.setValues": {
    input: (f) => ({ workspaceId: f.workspaceId, values: { meeting: 120 }, thresholds: { medium: 100, high: 1_000 } }),
  },
  "analytics.contactRelationship": {
    input: (f) => ({ workspaceId: f.workspaceId, contactId: f.contactId, asOf: hourAgo() }),
  },
  "analytics.export": { input: (f) => ({ workspaceId: f.workspaceId, format: "csv", sortBy: "clv", asOf: hourAgo() }) },

  "gdpr.requestExport": { input: () => ({ include: ["contacts"] }) },
  "gdpr.exportContact": { input: (f) => ({ workspaceId: f.workspaceId, contactId: f.contactId }) },
  "gdpr.exportStatus": {
    input: async (f) => ({ exportId: (await f.owner.client.gdpr.requestExport.mutate({})).exportId }),
  },
  "gdpr.eraseContact": {
    input: (f) => ({ workspaceId: f.workspaceId, contactId: f.contactId, reason: "The person asked" }),
  },
  "gdpr.requestDeletion": { as: "admin", input: (f) => ({ reason: "Leaving", password: f.admin.password }) },
  "gdpr.cancelDeletion": {
    as: "admin",
    setup: async (f) => {
      await requestAdminDeletion(f);
    },
    input: () => ({}),
  },
  "gdpr.executeDeletion": {
    as: "admin",
    input: async (f) => ({ deletionId: await requestAdminDeletion(f), password: f.admin.password }),
  },
  "gdpr.restrict": { input: () => ({}) },
  "gdpr.unrestrict": {
    setup: async (f) => {
      await f.owner.client.gdpr.restrict.mutate({});
    },
    input: () => ({}),
  },
  "gdpr.restrictionStatus": { input: () => undefined },
  "gdpr.restrictContact": { input: (f) => ({ workspaceId: f.workspaceId, contactId: f.contactId }) },
  "gdpr.unrestrictContact": {
    setup: async (f) => {
      await f.owner.client.gdpr.restrictContact.mutate({ workspaceId: f.workspaceId, contactId: f.contactId });
    },
    input: (f) => ({ workspaceId: f.workspaceId, contactId: f.contactId }),
  },
  "gdpr.contactPrivacy": { input: (f) => ({ workspaceId: f.workspaceId, contactId: f.contactId }) },
  "gdpr.operations": { input: (f) => ({ workspaceId: f.workspaceId, limit: 10 }) },
  "gdpr.myOperations": { input: () => ({ limit: 10 }) },
  "gdpr.dataLocations": { input: () => undefined },

  "system.ping": { input: () => ({}) },
};

/**
 * An open invitation for the owner's address (the caller of the invitee's procedures): into a new
 * workspace of the admin's, or, given `workspaceId`, a fresh address into that one.
 */
/** A small CSV uploaded through the import's plain route; its import id. */
async function uploadImport(f: Fixture): Promise<string> {
  const response = await fetch(`${f.app.url}/api/imports/upload?workspaceId=${f.workspaceId}&format=csv`, {
    method: "POST",
    headers: { authorization: `Bearer ${f.owner.accessToken}` },
    body: "Name,Email\nIda Import,ida@example.com\n",
  });
  if (response.status !== 201) throw new Error(`upload answered ${response.status}`);
  return ((await response.json()) as { importId: string }).importId;
}

async function importTemplate(f: Fixture): Promise<string> {
  const template = await f.owner.client.imports.saveTemplate.mutate({
    workspaceId: f.workspaceId,
    name: `Template ${randomBytes(3).toString("hex")}`,
    headers: ["Name", "Email"],
    mapping: ["name", "email"],
  });
  return template.id;
}

async function savedView(f: Fixture): Promise<string> {
  const view = await f.owner.client.views.create.mutate({
    workspaceId: f.workspaceId,
    name: `View ${randomBytes(3).toString("hex")}`,
    shared: false,
    filters: {},
    sort: "updated",
    columns: ["name"],
  });
  return view.id;
}

async function openInvitation(f: Fixture, workspaceId?: string): Promise<{ invitationId: string; token: string }> {
  const [client, target, email] = workspaceId
    ? [f.owner.client, workspaceId, freshEmail()]
    : [f.admin.client, (await f.admin.client.workspaces.create.mutate({ name: "Inviting" })).id, f.owner.email];
  const { invitation, link } = await client.invitations.invite.mutate({ workspaceId: target, email });
  return { invitationId: invitation.id, token: link.slice(link.indexOf("#") + 1) };
}

async function requestAdminDeletion(f: Fixture): Promise<string> {
  const { deletionId } = await f.admin.client.gdpr.requestDeletion.mutate({
    reason: "Leaving",
    password: f.admin.password,
  });
  return deletionId;
}

/** A loopback receiver answering 200, which the test app's configuration lets webhooks reach. */
let receiver: Server;
const receiverUrl = () => `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
const webhookState = new WeakMap<Fixture, { endpointId?: string; messageId?: string; jobId?: string }>();
/** The owner's own export, queued: its id is the job whose progress `jobs.*` read. */
const exportJobs = new WeakMap<Fixture, string>();
async function queueExport(f: Fixture): Promise<void> {
  exportJobs.set(f, (await f.owner.client.gdpr.requestExport.mutate({})).exportId);
}

function webhooksOf(f: Fixture) {
  let state = webhookState.get(f);
  if (!state) webhookState.set(f, (state = {}));
  return state;
}
const webhookRef = (f: Fixture) => ({ workspaceId: f.workspaceId, endpointId: webhooksOf(f).endpointId! });

const taskState = new WeakMap<Fixture, string>();
const taskRef = (f: Fixture) => ({ workspaceId: f.workspaceId, taskId: taskState.get(f)! });
async function createTask(f: Fixture, options: { completed?: boolean } = {}): Promise<void> {
  const task = await f.owner.client.tasks.create.mutate({
    workspaceId: f.workspaceId,
    title: "Follow up",
    dueAt: new Date(Date.now() + 86_400_000),
  });
  if (options.completed) await f.owner.client.tasks.complete.mutate({ workspaceId: f.workspaceId, taskId: task.id });
  taskState.set(f, task.id);
}

/** A second contact, like the fixture's, to dismiss or merge the pair. */
const twinState = new WeakMap<Fixture, string>();
const mergeState = new WeakMap<Fixture, string>();
async function createTwin(f: Fixture): Promise<void> {
  const twin = await f.owner.client.contacts.create.mutate({ workspaceId: f.workspaceId, name: "Carla Diaz (twin)" });
  twinState.set(f, twin.id);
}
const mergeInput = (f: Fixture) => ({
  workspaceId: f.workspaceId,
  survivorId: f.contactId,
  mergedId: twinState.get(f)!,
  choices: { name: "survivor" as const, email: "survivor" as const, title: "merged" as const },
});

/** An endpoint for an event type the fixture never produces, so nothing is queued behind the test's back. */
async function createWebhook(f: Fixture): Promise<void> {
  const { endpoint } = await f.owner.client.webhooks.create.mutate({
    workspaceId: f.workspaceId,
    url: receiverUrl(),
    eventTypes: ["interaction.deleted"],
  });
  webhooksOf(f).endpointId = endpoint.id;
}

async function sendWebhookTest(f: Fixture): Promise<void> {
  await createWebhook(f);
  webhooksOf(f).messageId = (await f.owner.client.webhooks.sendTest.mutate(webhookRef(f))).messageId;
}

/** The owner consents at the fake Google; the code and state the Integrations page would receive. */
async function gmailConsent(f: Fixture): Promise<{ code: string; state: string }> {
  const { url } = await f.owner.client.gmail.authUrl.mutate({ workspaceId: f.workspaceId });
  const atGoogle = await fetch(url, { redirect: "manual" });
  const back = new URL(atGoogle.headers.get("location")!);
  return { code: back.searchParams.get("code")!, state: back.searchParams.get("state")! };
}

async function connectGmail(f: Fixture): Promise<void> {
  await f.owner.client.gmail.completeOAuth.mutate({ workspaceId: f.workspaceId, ...(await gmailConsent(f)) });
}

type Procedure = { _def: { type: "query" | "mutation" | "subscription"; inputs: unknown[] } };
const PROCEDURES = Object.entries(appRouter._def.procedures as unknown as Record<string, Procedure>).map(
  ([path, procedure]) => ({
    path,
    type: procedure._def.type,
    fields: procedure._def.inputs.flatMap((schema) => schemaFields(schema, [])),
  }),
);

type Field = `${string}:${"string" | "date"}`;

/** The string and date fields of an input schema, e.g. "contacts.[].name:string", read from its zod definition. */
function schemaFields(schema: unknown, path: string[]): Field[] {
  const def = (schema as { _zod?: { def?: any } })?._zod?.def;
  if (!def) return [];
  const here = path.join(".");
  switch (def.type) {
    case "object":
      return Object.entries(def.shape).flatMap(([key, field]) => schemaFields(field, [...path, key]));
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "nonoptional":
    case "catch":
      return schemaFields(def.innerType, path);
    case "pipe":
      return schemaFields(def.in, path);
    case "array":
      return schemaFields(def.element, [...path, "[]"]);
    case "union":
      // The shared date schema: a Date or an ISO string.
      if (def.options.some((option: any) => option._zod.def.type === "date")) return [`${here}:date`];
      return def.options.flatMap((option: unknown) => schemaFields(option, path));
    case "string":
      return [`${here}:string`];
    case "date":
      return [`${here}:date`];
    default:
      return [];
  }
}

/** The string and date fields a base input fills in, in the same notation. */
function baseFields(value: unknown, path: string[] = []): Field[] {
  if (typeof value === "string") return [`${path.join(".")}:string`];
  if (value instanceof Date) return [`${path.join(".")}:date`];
  if (Array.isArray(value)) return value.flatMap((item) => baseFields(item, [...path, "[]"]));
  if (value !== null && typeof value === "object")
    return Object.entries(value).flatMap(([key, field]) => baseFields(field, [...path, key]));
  return [];
}

const OUT_OF_RANGE = "+275760-09-13T00:00:00.000Z";

interface Variant {
  label: string;
  input: unknown;
}

/** Every bad variant of a valid input: NUL in each string, each date replaced by an impossible value. */
function badVariants(base: unknown): Variant[] {
  const variants: Variant[] = [];
  const walk = (value: unknown, path: (string | number)[], replace: (next: unknown) => unknown) => {
    const at = path.join(".") || "(input)";
    if (typeof value === "string") {
      variants.push({ label: `NUL in ${at}`, input: replace(`${value.slice(0, 1)}\u0000${value.slice(1)}`) });
    } else if (value instanceof Date) {
      for (const bad of [OUT_OF_RANGE, null, true, false]) {
        variants.push({ label: `${JSON.stringify(bad)} as ${at}`, input: replace(bad) });
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, index) =>
        walk(item, [...path, index], (next) => replace(value.map((v, i) => (i === index ? next : v)))),
      );
    } else if (value !== null && typeof value === "object") {
      for (const [key, field] of Object.entries(value)) {
        walk(field, [...path, key], (next) => replace({ ...value, [key]: next }));
      }
    }
  };
  walk(base, [], (next) => next);
  return variants;
}

function call(client: RapportClient, path: string, type: string, input: unknown): Promise<unknown> {
  const procedure = path.split(".").reduce<any>((node, part) => node[part], client);
  if (type === "subscription") {
    // Its first message (or its refusal) is the answer.
    return new Promise((resolve, reject) => {
      const subscription = procedure.subscribe(input, {
        onData(data: unknown) {
          subscription.unsubscribe();
          resolve(data);
        },
        onError(error: unknown) {
          subscription.unsubscribe();
          reject(error);
        },
      });
    });
  }
  return type === "query" ? procedure.query(input) : procedure.mutate(input);
}

let google: GoogleFake;

describe("bad input answers 400 and writes nothing, on every procedure", () => {
  let app: TestApp;
  let tables: string[];

  beforeAll(async () => {
    // No worker: background jobs would write while the test compares the database.
    google = await startGoogleFake();
    google.addMailbox({ email: "bad.input@gmail.example", messages: 1 });
    receiver = createServer((_request, response) => response.end("ok"));
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    app = await createTestApp({
      role: "api",
      env: {
        WEBHOOK_PLAIN_HTTP_HOSTS: "127.0.0.1",
        WEBHOOK_ALLOWED_CIDRS: "127.0.0.0/8",
        GOOGLE_CLIENT_ID: google.clientId,
        GOOGLE_CLIENT_SECRET: google.clientSecret,
        GOOGLE_API_ROOT_URL: google.rootUrl,
        GOOGLE_OAUTH_AUTH_URL: google.oauthEndpoints.oauth2AuthBaseUrl,
        GOOGLE_OAUTH_TOKEN_URL: google.oauthEndpoints.oauth2TokenUrl,
        GOOGLE_OAUTH_REVOKE_URL: google.oauthEndpoints.oauth2RevokeUrl,
      },
    });
    const rows = await app.sql<{ name: string }[]>`
      select tablename as name from pg_tables where schemaname = 'public' order by tablename`;
    // Bookkeeping that moves on its own (applied migrations, event consumers' positions).
    tables = rows.map((row) => row.name).filter((name) => name !== "schema_migrations" && name !== "event_consumers");
  });

  afterAll(async () => {
    await app?.close();
    await google?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  /** A digest of every row of every table, per table. */
  async function snapshot(): Promise<Record<string, string>> {
    const columns = tables.map(
      (name) => `(select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from "${name}" t) as "${name}"`,
    );
    const [row] = await app.sql.unsafe(`select ${columns.join(", ")}`);
    return row as Record<string, string>;
  }

  async function fixture(): Promise<Fixture> {
    const owner = await app.signUp("Owner");
    const admin = await app.signUp("Admin");
    const workspace = await owner.client.workspaces.create.mutate({ name: "Bad input" });
    await app.sql`insert into memberships (workspace_id, user_id, role) values (${workspace.id}, ${admin.userId}, 'admin')`;
    const contact = await owner.client.contacts.create.mutate({
      workspaceId: workspace.id,
      name: "Carla Diaz",
      email: "carla@example.com",
      company: "Acme",
      tags: ["vip"],
    });
    const { interaction } = await owner.client.interactions.create.mutate({
      workspaceId: workspace.id,
      contactId: contact.id,
      type: "email",
      direction: "inbound",
      occurredAt: daysAgo(2),
      subject: "Catch-up",
    });
    return { app, owner, admin, workspaceId: workspace.id, contactId: contact.id, interactionId: interaction.id };
  }

  /** Every consumer has handled every event, including those the consumers' own writes raised. */
  async function settled() {
    for (let round = 0; round < 2; round++)
      expect(await app.runtime.dispatcher.drain({ timeoutMs: 45_000 }), "event consumers caught up").toBe(true);
  }

  it("has a base input for every procedure (add one to BASE_INPUTS at the top of this file)", () => {
    const missing = PROCEDURES.map((p) => p.path).filter((path) => !(path in BASE_INPUTS));
    const stale = Object.keys(BASE_INPUTS).filter((path) => !PROCEDURES.some((p) => p.path === path));
    expect(missing, "procedures without a base input in bad-input.test.ts").toEqual([]);
    expect(stale, "base inputs for procedures that no longer exist").toEqual([]);
  });

  it.each(PROCEDURES.filter((p) => p.path in BASE_INPUTS))("$path", async ({ path, type, fields }) => {
    const entry = BASE_INPUTS[path]!;
    const f = await fixture();
    const caller = entry.as === "anonymous" ? app.client() : entry.as === "admin" ? f.admin.client : f.owner.client;
    await entry.setup?.(f);
    const base = await entry.input(f);
    const filled = new Set(baseFields(base));
    expect(
      fields.filter((field) => !filled.has(field)),
      `fields of ${path}'s input its base input in BASE_INPUTS leaves out`,
    ).toEqual([]);

    // Consumers (notifications, webhooks) write asynchronously after the fixture's own
    // events: let them finish, so only the refused calls could change what follows.
    await settled();
    const before = await snapshot();
    const answers: Record<string, string> = {};
    for (const variant of badVariants(base)) {
      const { code, message } = await errorOf(call(caller, path, type, variant.input));
      answers[variant.label] = code === "BAD_REQUEST" ? code : `${code}: ${message}`;
    }
    expect(answers).toEqual(Object.fromEntries(Object.keys(answers).map((label) => [label, "BAD_REQUEST"])));
    expect(await snapshot(), "a refused call wrote to the database").toEqual(before);

    // The base input itself is accepted, so each refusal above came from the bad value.
    await call(caller, path, type, base);
  });

  it("cursors forged to carry values the database cannot hold answer 400", async () => {
    const f = await fixture();
    const { workspaceId, contactId, interactionId } = f;
    const forged: [path: string, input: Record<string, unknown>][] = [
      ["contacts.list", { workspaceId, sort: "name", cursor: encodeCursor(["car\u0000la", contactId]) }],
      ["contacts.list", { workspaceId, sort: "updated", cursor: encodeCursor(["not a time", contactId]) }],
      ["contacts.list", { workspaceId, sort: "created", cursor: encodeCursor([OUT_OF_RANGE, contactId]) }],
      [
        "interactions.listForContact",
        { workspaceId, contactId, cursor: encodeCursor(["2026-01-01T00:00:00Z\u0000", interactionId]) },
      ],
      ["activity.list", { workspaceId, cursor: encodeCursor([1e20]) }],
      ["audit.list", { workspaceId, cursor: encodeCursor([-1e20]) }],
    ];
    const answers = [];
    for (const [path, input] of forged)
      answers.push(`${path}: ${(await errorOf(call(f.owner.client, path, "query", input))).code}`);
    expect(answers).toEqual(forged.map(([path]) => `${path}: BAD_REQUEST`));
  });
});
