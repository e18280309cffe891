import { contacts, type Tx } from "@rapport/db";
import { and, eq, sql } from "drizzle-orm";
import { tableRecords } from "../../platform/privacy/export-sources";
import type { PrivacyHandler } from "../../platform/privacy/registry";
import { ownedOrCreatedBy } from "../workspaces/public";

/** The exported columns of a contact record, in file order. */
const contactColumns = {
  id: contacts.id,
  workspaceId: contacts.workspaceId,
  name: contacts.name,
  email: contacts.email,
  company: contacts.company,
  title: contacts.title,
  phone: contacts.phone,
  tags: contacts.tags,
  source: contacts.source,
  createdBy: contacts.createdBy,
  createdAt: contacts.createdAt,
  updatedAt: contacts.updatedAt,
  deletedAt: contacts.deletedAt,
};

/**
 * GDPR: the contact record itself. The row stays (anonymous) so aggregates keep counting.
 * Exports: a user's contacts.json (every contact of the workspaces they own and those they created
 * elsewhere); a contact's own profile.json.
 */
export const contactsPrivacy: PrivacyHandler = {
  module: "contacts",
  erases: [
    "contacts.email",
    "contacts.name",
    "contacts.company",
    "contacts.title",
    "contacts.phone",
    "contacts.tags",
    // Derived from the columns above by the database: rewritten when they are cleared.
    "contacts.search_text",
    "contacts.search_doc",
  ],
  exportUser: (userId) => [
    {
      section: "contacts",
      file: "contacts.json",
      holds: "the contacts of the workspaces you own and the contacts you created in other workspaces",
      purpose: "your relationship management (the workspace's CRM records)",
      categories: "identity and contact details of third parties, professional information, tags",
      recipients: "the members of the workspace; Rapport as processor",
      retention:
        "until deleted by the workspace; deleted contacts are purged after the soft-delete retention (default 30 days)",
      source:
        "entered by you or your team, imported from a file, or imported from a connected Gmail account (see each record's `source`)",
      ...tableRecords(contacts, contactColumns, ownedOrCreatedBy(userId, contacts.workspaceId, contacts.createdBy)),
    },
  ],
  exportContact(workspaceId, contactId) {
    return [
      {
        section: "profile",
        file: "profile.json",
        single: true,
        holds: "your record in this workspace's contact list: name, email, company, title, phone, tags",
        purpose: "the workspace's relationship management (the workspace is the controller; Rapport is its processor)",
        categories: "identity, contact details, professional information",
        recipients:
          "the members of the workspace; Rapport as processor and its hosting provider; Google when the workspace syncs Gmail",
        retention:
          "until the workspace deletes the record; deleted records are purged after the soft-delete retention (default 30 days)",
        source: "see `source`: entered manually, imported from a file, or imported from a connected Gmail account",
        count: async () => 1,
        async read(db) {
          const [row] = await db
            .select(contactColumns)
            .from(contacts)
            .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)));
          return row ?? null;
        },
      },
    ];
  },
  async eraseContact(tx: Tx, workspaceId, contactId, ctx) {
    await tx
      .update(contacts)
      .set({
        email: null,
        name: "Erased contact",
        company: null,
        title: null,
        phone: null,
        tags: sql`'{}'::text[]`,
        updatedAt: ctx.now,
      })
      .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)));
  },
  // Altering the record is processing too (Art. 18): edits and bulk tagging are refused until an
  // admin lifts the restriction; rectification (Art. 16) comes after. Storage, reading, export,
  // deletion and erasure stay possible.
  restricts: (s) =>
    s.kind === "contact"
      ? [
          "recommendations",
          "analytics",
          "new or changed interactions",
          "syncs and imports",
          "edits of the record (fields and tags)",
        ]
      : [],
};
