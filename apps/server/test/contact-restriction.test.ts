/**
 * GDPR Art. 18 for a contact's own record, on Postgres and PGlite: altering a restricted contact
 * is processing, so an edit is refused (FORBIDDEN, nothing written, no event) and bulk tagging
 * leaves it out and names it, until an admin lifts the restriction. Reading and deleting stay.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp, type TestDriver } from "./support/app";

const drivers: TestDriver[] = ["postgres", "pglite"];

describe.each(drivers)("editing a restricted contact on %s", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let outsider: SignedInUser;
  let workspaceId: string;
  let ruthId: string;
  let ottoId: string;
  let ivaId: string;

  // contacts.update writes no audit entry, so the outbox's contact.updated events are its trace.
  const traces = async (contactId: string) => ({
    events: (
      await app.query<{ n: number }>`SELECT count(*)::int AS n FROM domain_events
        WHERE type = 'contact.updated' AND payload->>'contactId' = ${contactId}`
    )[0]!.n,
  });
  const row = async (contactId: string) =>
    (
      await app.query<{ name: string; tags: string[]; updated_at: unknown }>`
        SELECT name, tags, updated_at::text AS updated_at FROM contacts WHERE id = ${contactId}`
    )[0]!;

  beforeAll(async () => {
    app = await createTestApp({ driver });
    [owner, outsider] = await Promise.all([app.signUp("Owner"), app.signUp("Outsider")]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: `Restriction on ${driver}` })).id;
    const create = async (name: string, email: string) =>
      (await owner.client.contacts.create.mutate({ workspaceId, name, email, company: "Rest" })).id;
    ruthId = await create("Ruth Restricted", "ruth@art18.example");
    ottoId = await create("Otto Other", "otto@art18.example");
    ivaId = await create("Iva Also", "iva@art18.example");
    await owner.client.gdpr.restrictContact.mutate({ workspaceId, contactId: ruthId });
  });
  afterAll(() => app?.close());

  it("restricting names edits among what stops", async () => {
    const privacy = await owner.client.gdpr.contactPrivacy.query({ workspaceId, contactId: ruthId });
    expect(privacy.restricted).toBe(true);
    expect(privacy.restrictions).toContain("edits of the record (fields and tags)");
  });

  it("an edit answers FORBIDDEN with the restriction's message, writes nothing and emits no event", async () => {
    const before = await row(ruthId);
    const error = await errorOf(
      owner.client.contacts.update.mutate({ workspaceId, contactId: ruthId, patch: { name: "Ruth Renamed" } }),
    );
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toMatch(/processing is restricted for this contact/i);
    expect(error.data.details).toEqual({ reason: "restricted", contactIds: [ruthId] });
    const tags = await errorOf(
      owner.client.contacts.update.mutate({ workspaceId, contactId: ruthId, patch: { tags: ["vip"] } }),
    );
    expect(tags.code).toBe("FORBIDDEN");
    expect(await row(ruthId)).toEqual(before);
    expect(await traces(ruthId)).toEqual({ events: 0 });
    // Reading it stays allowed.
    expect((await owner.client.contacts.get.query({ workspaceId, contactId: ruthId })).name).toBe("Ruth Restricted");
  });

  it("the restriction is decided first: an edit to another contact's email is refused as restricted, not as a conflict", async () => {
    const before = await row(ruthId);
    const error = await errorOf(
      owner.client.contacts.update.mutate({
        workspaceId,
        contactId: ruthId,
        patch: { name: "Ruth Moved", email: "otto@art18.example" },
      }),
    );
    expect(error.code).toBe("FORBIDDEN");
    expect(error.data.details).toEqual({ reason: "restricted", contactIds: [ruthId] });
    expect(await row(ruthId)).toEqual(before);
    expect(await traces(ruthId)).toEqual({ events: 0 });
  });

  it("someone outside the workspace gets their usual answer (NOT_FOUND), not the restriction", async () => {
    const error = await errorOf(
      outsider.client.contacts.update.mutate({ workspaceId, contactId: ruthId, patch: { name: "Hijack" } }),
    );
    expect(error.code).toBe("NOT_FOUND");
  });

  it("bulk tagging edits the others, leaves the restricted one out and names it", async () => {
    const tagged = await owner.client.contacts.bulk.mutate({
      workspaceId,
      filter: { company: "Rest" },
      action: "tag",
      tag: "fair",
    });
    expect(tagged.result).toEqual({ matched: 3, changed: 2, skipped: 0, restricted: 1, restrictedIds: [ruthId] });
    expect((await row(ruthId)).tags).toEqual([]);
    expect((await row(ottoId)).tags).toEqual(["fair"]);
    expect((await row(ivaId)).tags).toEqual(["fair"]);
    expect((await traces(ruthId)).events).toBe(0);
    expect((await traces(ottoId)).events).toBe(1);

    const untagged = await owner.client.contacts.bulk.mutate({
      workspaceId,
      filter: { company: "Rest" },
      action: "untag",
      tag: "fair",
    });
    // Ruth does not carry the tag: untagging would not change her, so she is not named.
    expect(untagged.result).toMatchObject({ changed: 2, restricted: 0, restrictedIds: [] });
  });

  it("after the restriction is lifted, the edit and bulk tagging work", async () => {
    await owner.client.gdpr.unrestrictContact.mutate({ workspaceId, contactId: ruthId });
    const updated = await owner.client.contacts.update.mutate({
      workspaceId,
      contactId: ruthId,
      patch: { name: "Ruth Rectified" },
    });
    expect(updated.name).toBe("Ruth Rectified");
    expect((await traces(ruthId)).events).toBe(1);
    const tagged = await owner.client.contacts.bulk.mutate({
      workspaceId,
      filter: { company: "Rest" },
      action: "tag",
      tag: "lifted",
    });
    expect(tagged.result).toEqual({ matched: 3, changed: 3, skipped: 0, restricted: 0, restrictedIds: [] });
    // The audit trail shows the restriction and its lifting.
    const actions = await app.query<{ action: string }>`
      SELECT action FROM audit_log WHERE action LIKE 'gdpr.restriction%' ORDER BY id`;
    expect(actions.map((a) => a.action)).toEqual(["gdpr.restriction", "gdpr.restriction_lifted"]);
  });

  it("a restricted contact can still be deleted and restored", async () => {
    await owner.client.gdpr.restrictContact.mutate({ workspaceId, contactId: ivaId });
    await owner.client.contacts.delete.mutate({ workspaceId, contactIds: [ivaId] });
    await owner.client.contacts.restore.mutate({ workspaceId, contactId: ivaId });
    expect((await owner.client.contacts.get.query({ workspaceId, contactId: ivaId })).deletedAt).toBeNull();
  });

  it("bulk untagging leaves a restricted contact that has the tag as it is, and names it", async () => {
    // Iva (restricted above) was tagged "lifted" before her restriction, like the others.
    expect((await row(ivaId)).tags).toEqual(["lifted"]);
    const eventsBefore = await traces(ivaId);
    const untagged = await owner.client.contacts.bulk.mutate({
      workspaceId,
      filter: { company: "Rest" },
      action: "untag",
      tag: "lifted",
    });
    expect(untagged.result).toEqual({ matched: 3, changed: 2, skipped: 0, restricted: 1, restrictedIds: [ivaId] });
    expect((await row(ivaId)).tags).toEqual(["lifted"]);
    expect((await row(ruthId)).tags).toEqual([]);
    expect(await traces(ivaId)).toEqual(eventsBefore);
  });
});
