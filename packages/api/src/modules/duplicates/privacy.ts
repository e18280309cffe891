import { contactMerges } from "@rapport/db";
import { and, eq, or } from "drizzle-orm";
import { tableRecords } from "../../platform/privacy/export-sources";
import type { PrivacyHandler } from "../../platform/privacy/registry";

/** The merges the contact took part in, as the survivor or the merged one. */
const ofContact = (workspaceId: string, contactId: string) =>
  and(
    eq(contactMerges.workspaceId, workspaceId),
    or(eq(contactMerges.survivorId, contactId), eq(contactMerges.mergedContactId, contactId)),
  )!;

/**
 * GDPR: a merge keeps the merged contact's row and what moved for 30 days, so it can be
 * undone. That is the person's data: exported with the contact that was kept (or the one
 * merged, by its id), deleted when either is erased. Before that, the erasure learns from
 * these records the person's other addresses and names here (the merged contacts', the
 * survivor's before the merge), so they are suppressed and cleared too. Candidate pairs and
 * dismissals hold ids only and go with the contact (foreign keys).
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
        ofContact(workspaceId, contactId),
      ),
    },
  ],
  async contactIdentity(tx, workspaceId, contactId) {
    // A merge re-points the merged contact's own merges to the survivor, so a chain of
    // merges is all found under the last survivor.
    const rows = await tx
      .select({
        mergedContact: contactMerges.mergedContact,
        survivorBefore: contactMerges.survivorBefore,
        survivorAfter: contactMerges.survivorAfter,
      })
      .from(contactMerges)
      .where(ofContact(workspaceId, contactId));
    const snapshots = rows.flatMap((row) => [row.mergedContact, row.survivorBefore, row.survivorAfter]);
    const text = (value: unknown): value is string => typeof value === "string" && value.length > 0;
    return {
      emails: snapshots.map((s) => s.email).filter(text),
      terms: snapshots.flatMap((s) => [s.email, s.name, s.phone]).filter(text),
    };
  },
  async eraseContact(tx, workspaceId, contactId) {
    await tx.delete(contactMerges).where(ofContact(workspaceId, contactId));
  },
  restricts: (subject) => (subject.kind === "contact" ? ["duplicate detection and merging"] : []),
};
