import { contactReconnect } from "@rapport/db";
import { and, eq } from "drizzle-orm";
import { tableRecords } from "../../platform/privacy/export-sources";
import type { PrivacyHandler } from "../../platform/privacy/registry";

/**
 * GDPR: the keep-in-touch settings about a contact (frequency, snooze, last "done").
 * Exported with the contact's data; deleted when the contact is erased; not used while
 * the contact is restricted (the Reconnect list leaves them out and changes are refused).
 */
export const reconnectPrivacy: PrivacyHandler = {
  module: "reconnect",
  erases: ["contact_reconnect.keep_in_touch_days", "contact_reconnect.snoozed_until", "contact_reconnect.done_at"],
  exportContact: (workspaceId, contactId) => [
    {
      section: "preferences",
      file: "keep-in-touch.json",
      holds: "how often the workspace wants to keep in touch with you, and reminders it snoozed or marked done",
      purpose: "reminding the workspace's members to keep in touch",
      categories: "preferences",
      recipients: "the members of the workspace; Rapport as processor",
      retention: "as long as your contact record",
      source: "set by the workspace's members",
      ...tableRecords(
        contactReconnect,
        {
          id: contactReconnect.contactId,
          keepInTouchDays: contactReconnect.keepInTouchDays,
          snoozedUntil: contactReconnect.snoozedUntil,
          doneAt: contactReconnect.doneAt,
          updatedAt: contactReconnect.updatedAt,
        },
        and(eq(contactReconnect.workspaceId, workspaceId), eq(contactReconnect.contactId, contactId))!,
      ),
    },
  ],
  async eraseContact(tx, workspaceId, contactId) {
    await tx
      .delete(contactReconnect)
      .where(and(eq(contactReconnect.workspaceId, workspaceId), eq(contactReconnect.contactId, contactId)));
  },
  restricts: (subject) => (subject.kind === "contact" ? ["keep-in-touch reminders (the Reconnect list)"] : []),
};
