import { contacts, type Executor, type Tx } from "@rapport/db";
import { and, eq, sql } from "drizzle-orm";
import type { PrivacyHandler } from "../gdpr/registry";

/** GDPR (issue 6): the contact record itself. The row stays (anonymous) so aggregates keep counting. */
export const contactsPrivacy: PrivacyHandler = {
  module: "contacts",
  erases: ["contacts.email", "contacts.name", "contacts.company", "contacts.title", "contacts.phone", "contacts.tags"],
  async exportContact(db: Executor, workspaceId, contactId) {
    const rows = await db.select().from(contacts).where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)));
    return [{ file: "profile.json", records: rows, description: "the contact record held by the workspace" }];
  },
  async eraseContact(tx: Tx, workspaceId, contactId, ctx) {
    await tx
      .update(contacts)
      .set({ email: null, name: "Erased contact", company: null, title: null, phone: null, tags: sql`'{}'::text[]`, updatedAt: ctx.now })
      .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)));
  },
  restricts: (s) => (s.kind === "contact" ? ["recommendations", "analytics", "new or changed interactions", "syncs and imports"] : []),
};
