import { contactMerges } from "@rapport/db";
import { and, eq, or } from "drizzle-orm";
import { tableRecords } from "../../platform/privacy/export-sources";
import type { PrivacyHandler } from "../../platform/privacy/registry";

/**
 * GDPR: a merge keeps the merged contact's row and what moved for 30 days, so it can be
 * undone. That is the person's data: exported with the contact that was kept (or the one
 * merged, by its id), deleted when either is erased. Candidate pairs and dismissals hold
 * ids only and go with the contact (foreign keys).
 */
export const duplicatesPrivacy: PrivacyHandler = {
  module: "duplicates",
  erases: [
    "contact_merges.merged_contact",
    "contact_merges.survivor_before",
    "contact_merges.survivor_after",
    "contact_merges.moved",
  ],
  exportContact: (workspaceId, contactId) => [
    {
      section: "contacts",
      file: "contact-merges.json",
      holds: "merges of your contact record with another one that can still be undone, with the merged record",
      purpose: "undoing a merge of two contact records",
      categories: "identity, contact details, professional details, tags",
      recipients: "the members of the workspace; Rapport as processor",
      retention: "30 days after the merge, or until it is undone",
      source: "the workspace's contact records",
      ...tableRecords(
        contactMerges,
        {
          id: contactMerges.id,
          survivorId: contactMerges.survivorId,
          mergedContactId: contactMerges.mergedContactId,
          mergedAt: contactMerges.mergedAt,
          undoUntil: contactMerges.undoUntil,
          mergedContact: contactMerges.mergedContact,
          survivorBefore: contactMerges.survivorBefore,
        },
        and(
          eq(contactMerges.workspaceId, workspaceId),
          or(eq(contactMerges.survivorId, contactId), eq(contactMerges.mergedContactId, contactId)),
        )!,
      ),
    },
  ],
  async eraseContact(tx, workspaceId, contactId) {
    await tx
      .delete(contactMerges)
      .where(
        and(
          eq(contactMerges.workspaceId, workspaceId),
          or(eq(contactMerges.survivorId, contactId), eq(contactMerges.mergedContactId, contactId)),
        ),
      );
  },
  restricts: (subject) => (subject.kind === "contact" ? ["duplicate detection and merging"] : []),
};
