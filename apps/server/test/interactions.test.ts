import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";

describe("interactions", () => {
  let app: TestApp;
  let owner: SignedInUser;
  let workspaceId: string;
  let ana: { id: string };
  let ben: { id: string };

  beforeAll(async () => {
    app = await createTestApp();
    owner = await app.signUp();
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Timeline" })).id;
    ana = await owner.client.contacts.create.mutate({ workspaceId, name: "Ana", email: "ana@acme.example" });
    ben = await owner.client.contacts.create.mutate({ workspaceId, name: "Ben", email: "ben@acme.example" });
  });
  afterAll(() => app.close());

  it("links participants: listed contacts, known addresses, and the primary contact", async () => {
    const { interaction, created } = await owner.client.interactions.create.mutate({
      workspaceId,
      contactId: ana.id,
      type: "email",
      direction: "inbound",
      occurredAt: new Date("2026-01-10T10:00:00Z"),
      subject: "Intro",
      source: "gmail",
      externalId: "msg-1",
      participants: [
        { email: "Ana@Acme.example", role: "from" },
        { email: "BEN@acme.example", role: "cc", displayName: "Ben B." },
        { email: "stranger@else.example", role: "to", displayName: "Stranger" },
      ],
    });
    expect(created).toBe(true);
    const rows =
      await app.sql`SELECT contact_id, email, role FROM interaction_participants WHERE interaction_id = ${interaction.id} ORDER BY role`;
    expect(rows).toEqual([
      { contact_id: ben.id, email: "ben@acme.example", role: "cc" },
      { contact_id: ana.id, email: "ana@acme.example", role: "from" },
      { contact_id: null, email: "stranger@else.example", role: "to" },
    ]);
  });

  it("re-importing the same external id returns the first record and duplicates nothing", async () => {
    const input = {
      workspaceId,
      contactId: ana.id,
      type: "meeting" as const,
      direction: "outbound" as const,
      occurredAt: new Date("2026-01-11T10:00:00Z"),
      source: "calendar" as const,
      externalId: "evt-9",
    };
    const results = await Promise.all([1, 2, 3].map(() => owner.client.interactions.create.mutate(input)));
    expect(new Set(results.map((r) => r.interaction.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await app.sql`SELECT id FROM interactions WHERE external_id = 'evt-9'`).toHaveLength(1);
    expect(
      await app.sql`SELECT id FROM domain_events WHERE type = 'interaction.created' AND payload->>'interactionId' = ${results[0]!.interaction.id}`,
    ).toHaveLength(1);
  });

  it("imported interactions need an external id; participants must be of this workspace", async () => {
    const noId = await errorOf(
      owner.client.interactions.create.mutate({
        workspaceId,
        contactId: ana.id,
        type: "email",
        direction: "inbound",
        occurredAt: new Date(),
        subject: "Catch-up",
        source: "gmail",
      }),
    );
    expect(noId.code).toBe("BAD_REQUEST");
    expect(noId.data.zodIssues[0].path).toEqual(["externalId"]);
    const other = await app.signUp();
    const otherWs = (await other.client.workspaces.create.mutate({ name: "Other" })).id;
    const foreign = await other.client.contacts.create.mutate({ workspaceId: otherWs, name: "Foreign" });
    const bad = await errorOf(
      owner.client.interactions.create.mutate({
        workspaceId,
        contactId: ana.id,
        type: "meeting",
        direction: "inbound",
        occurredAt: new Date(),
        subject: "Catch-up",
        participants: [{ contactId: foreign.id }],
      }),
    );
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.data.details.path).toEqual(["participants", 0, "contactId"]);
    const future = await errorOf(
      owner.client.interactions.create.mutate({
        workspaceId,
        contactId: ana.id,
        type: "call",
        direction: "inbound",
        occurredAt: new Date("2200-01-01"),
        subject: "Catch-up",
      }),
    );
    expect(future.code).toBe("BAD_REQUEST");
    const badType = await errorOf(
      owner.client.interactions.create.mutate({
        workspaceId,
        contactId: ana.id,
        type: "fax" as "call",
        direction: "inbound",
        occurredAt: new Date(),
        subject: "Catch-up",
      }),
    );
    expect(badType.code).toBe("BAD_REQUEST");
  });

  it.each([
    {
      name: "a manual interaction with neither subject nor summary",
      input: { type: "call", direction: "outbound" },
      path: ["subject"],
      message: /give a subject or a summary/,
    },
    {
      name: "blank subject and summary (only spaces)",
      input: { type: "meeting", direction: "inbound", subject: "   ", summary: " " },
      path: ["subject"],
      message: /give a subject or a summary/,
    },
    {
      name: "a note with a direction",
      input: { type: "note", direction: "outbound", summary: "Likes sailing" },
      path: ["direction"],
      message: /a note has no direction/,
    },
    {
      name: "an email without a direction",
      input: { type: "email", subject: "Hello" },
      path: ["direction"],
      message: /inbound or outbound/,
    },
  ])("refuses $name with a typed 400 and writes nothing", async ({ input, path, message }) => {
    const before = await app.sql`SELECT count(*)::int AS n FROM interactions WHERE workspace_id = ${workspaceId}`;
    const error = await errorOf(
      owner.client.interactions.create.mutate({
        workspaceId,
        contactId: ana.id,
        occurredAt: new Date("2026-01-12T10:00:00Z"),
        ...(input as { type: "call" }),
      }),
    );
    expect(error.code).toBe("BAD_REQUEST");
    const issue = (error.data.zodIssues as { path: unknown[]; message: string }[]).find(
      (candidate) => JSON.stringify(candidate.path) === JSON.stringify(path),
    );
    expect(issue?.message).toMatch(message);
    const after = await app.sql`SELECT count(*)::int AS n FROM interactions WHERE workspace_id = ${workspaceId}`;
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it("stores a note without a direction; imports need no subject", async () => {
    const { interaction } = await owner.client.interactions.create.mutate({
      workspaceId,
      contactId: ana.id,
      type: "note",
      occurredAt: new Date("2026-01-12T11:00:00Z"),
      summary: "Prefers calls in the morning",
    });
    expect(interaction.direction).toBeNull();
    const [row] = await app.sql`SELECT direction FROM interactions WHERE id = ${interaction.id}`;
    expect(row!.direction).toBeNull();
    const imported = await owner.client.interactions.create.mutate({
      workspaceId,
      contactId: ana.id,
      type: "email",
      direction: "inbound",
      occurredAt: new Date("2026-01-12T12:00:00Z"),
      source: "gmail",
      externalId: "msg-no-subject",
    });
    expect(imported.created).toBe(true);
  });

  it("the timeline is newest first and pages without gaps or repeats", async () => {
    const times = Array.from({ length: 7 }, (_, i) => new Date(Date.UTC(2025, 5, 1 + i)));
    for (const t of [...times].reverse()) {
      await owner.client.interactions.create.mutate({
        workspaceId,
        contactId: ben.id,
        type: "note",
        occurredAt: t,
        subject: t.toISOString(),
      });
    }
    // Two at the same instant.
    await owner.client.interactions.create.mutate({
      workspaceId,
      contactId: ben.id,
      type: "call",
      direction: "outbound",
      occurredAt: times[3]!,
      subject: "same",
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof owner.client.interactions.listForContact.query>> =
        await owner.client.interactions.listForContact.query({ workspaceId, contactId: ben.id, limit: 3, cursor });
      seen.push(...page.items.map((i) => i.id));
      const stamps = page.items.map((i) => i.occurredAt.getTime());
      expect([...stamps].sort((a, b) => b - a)).toEqual(stamps);
      cursor = page.nextCursor;
    } while (cursor);
    // His eight, and the first email (filed under Ana) that he was copied on: once, at its place in time.
    const [intro] = await app.sql<{ id: string }[]>`SELECT id FROM interactions WHERE external_id = 'msg-1'`;
    expect(seen).toHaveLength(9);
    expect(new Set(seen).size).toBe(9);
    expect(seen[0]).toBe(intro!.id);
    const first = await owner.client.interactions.listForContact.query({ workspaceId, contactId: ben.id, limit: 2 });
    expect(first.items[0]!.participants.map((p) => p.contactId)).toEqual(expect.arrayContaining([ana.id, ben.id]));
    expect(first.items[1]!.participants).toEqual([
      expect.objectContaining({ contactId: ben.id, contactName: "Ben", role: "participant" }),
    ]);
  });

  it("deletes an interaction and records it", async () => {
    const { interaction } = await owner.client.interactions.create.mutate({
      workspaceId,
      contactId: ana.id,
      type: "linkedin",
      direction: "outbound",
      occurredAt: new Date(),
      subject: "Catch-up",
    });
    await owner.client.interactions.delete.mutate({ workspaceId, interactionId: interaction.id });
    expect(await app.sql`SELECT id FROM interactions WHERE id = ${interaction.id}`).toHaveLength(0);
    expect(
      await app.sql`SELECT id FROM interaction_participants WHERE interaction_id = ${interaction.id}`,
    ).toHaveLength(0);
    expect(
      (await errorOf(owner.client.interactions.delete.mutate({ workspaceId, interactionId: interaction.id }))).code,
    ).toBe("NOT_FOUND");
  });

  it("cannot log an interaction on a deleted contact", async () => {
    const gone = await owner.client.contacts.create.mutate({ workspaceId, name: "Gone" });
    await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [gone.id] });
    const error = await errorOf(
      owner.client.interactions.create.mutate({
        workspaceId,
        contactId: gone.id,
        type: "call",
        direction: "inbound",
        occurredAt: new Date(),
        subject: "Catch-up",
      }),
    );
    expect(error.code).toBe("NOT_FOUND");
  });
});
