/**
 * Restricting a contact (GDPR Art. 18) takes the contact's row lock, as an edit does before its
 * UPDATE: an edit in flight commits before the restriction, and the restriction waits for it.
 * Postgres only: PGlite has one connection, so nothing there runs concurrently.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type SignedInUser, type TestApp } from "./support/app";

describe("restricting a contact while an edit holds it", () => {
  let app: TestApp;
  let owner: SignedInUser;
  let workspaceId: string;
  let contactId: string;

  beforeAll(async () => {
    app = await createTestApp({ driver: "postgres" });
    owner = await app.signUp("Owner");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Restriction lock order" })).id;
    contactId = (await owner.client.contacts.create.mutate({ workspaceId, name: "Ruth", email: "ruth@lock.example" }))
      .id;
  });
  afterAll(() => app?.close());

  it("waits for the edit's transaction, so the edit cannot commit after the restriction", async () => {
    let restricted = false;
    let restriction: Promise<void> | undefined;
    await app.sql.begin(async (tx) => {
      // What contacts.update holds between its locked read and its guarded UPDATE.
      await tx`SELECT id FROM contacts WHERE id = ${contactId} FOR UPDATE`;
      restriction = owner.client.gdpr.restrictContact.mutate({ workspaceId, contactId }).then(() => {
        restricted = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(restricted, "the restriction committed while the edit held the contact").toBe(false);
      await tx`UPDATE contacts SET name = 'Ruth Edited' WHERE id = ${contactId}`;
    });
    await restriction;
    expect(restricted).toBe(true);
    const [row] = await app.sql<{ name: string; restricted: boolean }[]>`
      SELECT c.name, EXISTS (SELECT 1 FROM gdpr_restrictions r WHERE r.subject_kind = 'contact' AND r.subject_id = c.id) AS restricted
      FROM contacts c WHERE c.id = ${contactId}`;
    expect(row).toEqual({ name: "Ruth Edited", restricted: true });
  });
});
