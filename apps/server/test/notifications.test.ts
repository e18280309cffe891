import type { RapportClient } from "@rapport/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";
import { joinWorkspace } from "./support/members";
import { until } from "./support/until";

// The dispatcher reads below the oldest transaction open on the whole server, which parallel test files hold back.
const WAIT_MS = 45_000;

type Progress = Awaited<ReturnType<RapportClient["jobs"]["get"]["query"]>>;

/** Follows a job's progress over SSE until the server ends the stream. */
function follow(client: RapportClient, jobId: string) {
  const seen: Progress[] = [];
  const done = new Promise<Progress[]>((resolve, reject) => {
    const subscription = client.jobs.progress.subscribe(
      { jobId },
      {
        onData(progress) {
          seen.push(progress);
          if (progress.state === "completed" || progress.state === "failed") {
            subscription.unsubscribe();
            resolve(seen);
          }
        },
        onError: reject,
      },
    );
  });
  return done;
}

const kinds = async (user: SignedInUser) => (await user.client.notifications.list.query({})).items.map((n) => n.kind);

describe.each(["postgres", "pglite"] as const)("notifications and job progress on %s", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let member: SignedInUser;
  let outsider: SignedInUser;
  let workspaceId: string;

  beforeAll(async () => {
    app = await createTestApp({ driver });
    [owner, member, outsider] = await Promise.all([
      app.signUp("Olga Owner"),
      app.signUp("Ana Lima"),
      app.signUp("Otto"),
    ]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Acme" })).id;
    await joinWorkspace(owner, workspaceId, member);
  }, 60_000);
  afterAll(() => app?.close());

  it("a member joining tells the owner (not the one who joined); a role change tells the member", async () => {
    const joined = await until("the owner's notification", async () => {
      const { items } = await owner.client.notifications.list.query({});
      return items.find((n) => n.kind === "member.added");
    });
    expect(joined).toMatchObject({ workspaceId, workspaceName: "Acme", readAt: null });
    expect(joined.text).toBe("Ana Lima joined in Acme as member");
    // Creating the workspace added the owner too: nobody is told of what they did themselves.
    expect(await kinds(owner)).toEqual(["member.added"]);

    await owner.client.workspaces.setRole.mutate({ workspaceId, userId: member.userId, role: "admin" });
    const changed = await until("the member's notification", async () => {
      const { items } = await member.client.notifications.list.query({});
      return items.find((n) => n.kind === "member.role_changed");
    });
    expect(changed.text).toBe("Your role in Acme is now admin");
    expect(await member.client.notifications.unreadCount.query()).toEqual({ unread: 1 });

    expect(await member.client.notifications.markRead.mutate({ ids: [changed.id] })).toEqual({ updated: 1 });
    expect(await member.client.notifications.unreadCount.query()).toEqual({ unread: 0 });
    // Someone else's notification id changes nothing and reveals nothing.
    expect(await outsider.client.notifications.markRead.mutate({ ids: [joined.id] })).toEqual({ updated: 0 });
    expect(await owner.client.notifications.unreadCount.query()).toEqual({ unread: 1 });
    expect(await owner.client.notifications.markAllRead.mutate()).toEqual({ updated: 1 });
    expect(await owner.client.notifications.unreadCount.query()).toEqual({ unread: 0 });
    expect((await owner.client.notifications.list.query({ unreadOnly: true })).items).toEqual([]);
  });

  it("preferences: every kind on by default; one switched off stops those, the others still come", async () => {
    const defaults = await member.client.notifications.preferences.query();
    expect(Object.values(defaults).every(Boolean)).toBe(true);
    const updated = await member.client.notifications.updatePreferences.mutate({
      preferences: { "member.role_changed": false },
    });
    expect(updated).toEqual({ ...defaults, "member.role_changed": false });
    expect(await member.client.notifications.preferences.query()).toEqual(updated);

    await owner.client.workspaces.setRole.mutate({ workspaceId, userId: member.userId, role: "member" });
    expect(await app.runtime.dispatcher.drain({ timeoutMs: WAIT_MS })).toBe(true);
    expect(await kinds(member)).toEqual(["member.role_changed"]); // only the earlier one
  });

  it("a disabled webhook endpoint tells owners and admins; a mailbox to reconnect tells its owner", async () => {
    const endpointId = "00000000-0000-4000-8000-0000000000e1";
    await app.query`INSERT INTO domain_events (workspace_id, type, payload)
                    VALUES (${workspaceId}, 'webhook.endpoint_disabled',
                            ${JSON.stringify({ endpointId, reason: "Every delivery failed for 5 days" })}::jsonb)`;
    const [connection] = await app.query<{ id: string }>`
      INSERT INTO gmail_connections (workspace_id, user_id, google_email, refresh_token_sealed)
      VALUES (${workspaceId}, ${member.userId}, 'ana@gmail.example', 'sealed') RETURNING id`;
    await app.query`INSERT INTO domain_events (workspace_id, type, payload)
                    VALUES (${workspaceId}, 'gmail.sync.failed',
                            ${JSON.stringify({ connectionId: connection!.id, mode: "incremental", reason: "reconnect_needed", contactsCreated: 0, contactsUpdated: 0, interactionsLogged: 0, emailsProcessed: 0, timeTakenSec: 1 })}::jsonb)`;
    app.runtime.dispatcher.wake();

    const disabled = await until("the owner's webhook notification", async () => {
      const { items } = await owner.client.notifications.list.query({});
      return items.find((n) => n.kind === "webhook.endpoint_disabled");
    });
    expect(disabled.text).toBe(
      "A webhook endpoint in Acme was disabled (Every delivery failed for 5 days); enable it again to resume deliveries",
    );
    expect(disabled.payload).toMatchObject({ endpointId });
    const reconnect = await until("the mailbox owner's notification", async () => {
      const { items } = await member.client.notifications.list.query({});
      return items.find((n) => n.kind === "gmail.reconnect_needed");
    });
    expect(reconnect.text).toBe("Gmail sync in Acme stopped: reconnect your mailbox to resume it");
    expect(await app.runtime.dispatcher.drain({ timeoutMs: WAIT_MS })).toBe(true);
    // The plain member runs no webhooks; the owner has no mailbox here.
    expect(await kinds(member)).not.toContain("webhook.endpoint_disabled");
    expect(await kinds(owner)).not.toContain("gmail.reconnect_needed");
  });

  it("an export's progress reaches 100 % over jobs.progress, and its notification reaches the live stream", async () => {
    const heard: { type: string; payload: Record<string, unknown> }[] = [];
    const live = member.client.activity.live.subscribe(
      { workspaceId },
      {
        onData(data) {
          if (!("kind" in data) && data.data.kind === "event") heard.push(data.data.event);
        },
      },
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const requested = await member.client.gdpr.requestExport.mutate({});
      const steps = await follow(member.client, requested.exportId);
      const last = steps[steps.length - 1]!;
      expect(last).toMatchObject({ jobId: requested.exportId, kind: "gdpr.export", state: "completed", percent: 100 });
      const percents = steps.map((step) => step.percent);
      expect(percents).toEqual([...percents].sort((x, y) => x - y));
      expect(steps.every((step, i) => i === 0 || step.seq > steps[i - 1]!.seq)).toBe(true);
      expect(await member.client.jobs.get.query({ jobId: requested.exportId })).toMatchObject({
        state: "completed",
        percent: 100,
        etaSec: 0,
      });
      // Another user's job does not exist for them.
      expect((await errorOf(outsider.client.jobs.get.query({ jobId: requested.exportId }))).code).toBe("NOT_FOUND");
      expect((await errorOf(follow(outsider.client, requested.exportId))).code).toBe("NOT_FOUND");

      const ready = await until("the export notification", async () => {
        const { items } = await member.client.notifications.list.query({});
        return items.find((n) => n.kind === "gdpr.export_ready");
      });
      expect(ready).toMatchObject({ workspaceId: null, text: "Your data export is ready to download" });
      expect(ready.payload).toMatchObject({ exportId: requested.exportId });
      await until("the bell's news on the live stream", async () =>
        heard.some((e) => e.type === "notification.created" && e.payload.notificationId === ready.id),
      );
      // The stream carries only the member's own notices.
      expect(
        heard.filter((e) => e.type === "notification.created").every((e) => e.payload.userId === member.userId),
      ).toBe(true);
    } finally {
      live.unsubscribe();
    }
  });

  it("the daily job deletes notifications older than the retention period, read or not, and keeps newer ones", async () => {
    const rows = await app.query<{ id: string }>`SELECT id FROM notifications WHERE user_id = ${owner.userId}`;
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const [expired, kept] = rows as [{ id: string }, { id: string }];
    const daysAgo = (days: number) => new Date(app.clock.now().getTime() - days * 86_400_000).toISOString();
    await app.query`UPDATE notifications SET created_at = ${daysAgo(91)}::timestamptz WHERE id = ${expired.id}`;
    await app.query`UPDATE notifications SET created_at = ${daysAgo(89)}::timestamptz WHERE id = ${kept.id}`;

    const jobId = await app.runtime.queue.enqueue("notifications.purge", {});
    await until("the purge job", async () => (await app.runtime.queue.status(jobId))?.state === "completed");
    expect((await app.runtime.queue.status(jobId))?.result).toMatchObject({ deleted: 1 });
    const left = (await app.query<{ id: string }>`SELECT id FROM notifications WHERE user_id = ${owner.userId}`).map(
      (row) => row.id,
    );
    expect(left).not.toContain(expired.id);
    expect(left).toContain(kept.id);
  });

  it("the purge goes on batch after batch until nothing expired is left", async () => {
    const kind = "member.role_changed";
    const daysAgo = (days: number) => new Date(app.clock.now().getTime() - days * 86_400_000).toISOString();
    for (let i = 0; i < 5; i++) {
      await app.query`INSERT INTO notifications (user_id, workspace_id, kind, event_id, created_at)
        VALUES (${owner.userId}, ${workspaceId}, ${kind}, ${-1 - i}, ${daysAgo(100 + i)}::timestamptz)`;
    }
    const fresh = await app.query<{ id: string }>`INSERT INTO notifications (user_id, workspace_id, kind, event_id)
      VALUES (${owner.userId}, ${workspaceId}, ${kind}, -10) RETURNING id`;
    // Two at a time: three batches, the last one short.
    expect(await app.runtime.services.notifications.purgeExpired(2)).toEqual({ deleted: 5 });
    const left = await app.query<{ id: string }>`SELECT id FROM notifications WHERE event_id < 0`;
    expect(left.map((row) => row.id)).toEqual([fresh[0]!.id]);
  });

  it("an erased account's notifications and preferences go with it", async () => {
    const uma = await app.signUp("Uma");
    await joinWorkspace(owner, workspaceId, uma);
    await owner.client.workspaces.setRole.mutate({ workspaceId, userId: uma.userId, role: "admin" });
    await until("Uma's notification", async () => (await kinds(uma)).includes("member.role_changed"));
    await uma.client.notifications.updatePreferences.mutate({ preferences: { "gdpr.export_ready": false } });
    const { deletionId } = await uma.client.gdpr.requestDeletion.mutate({ reason: "now", password: uma.password });
    expect(await uma.client.gdpr.executeDeletion.mutate({ deletionId, password: uma.password })).toMatchObject({
      status: "completed",
    });
    const left = await app.query<{ n: number | string }>`
      SELECT (SELECT count(*) FROM notifications WHERE user_id = ${uma.userId})
           + (SELECT count(*) FROM notification_preferences WHERE user_id = ${uma.userId}) AS n`;
    expect(Number(left[0]!.n)).toBe(0);
  });
});
