import { tasks } from "@rapport/db";
import { and, eq, or } from "drizzle-orm";
import { tableRecords } from "../../platform/privacy/export-sources";
import type { PrivacyHandler } from "../../platform/privacy/registry";

const taskColumns = {
  id: tasks.id,
  workspaceId: tasks.workspaceId,
  contactId: tasks.contactId,
  interactionId: tasks.interactionId,
  title: tasks.title,
  dueAt: tasks.dueAt,
  assigneeId: tasks.assigneeId,
  createdBy: tasks.createdBy,
  completedAt: tasks.completedAt,
  completedBy: tasks.completedBy,
  createdAt: tasks.createdAt,
  updatedAt: tasks.updatedAt,
};

const FILE = {
  section: "activity" as const,
  file: "tasks.json",
  purpose: "follow-ups the workspace's members set themselves",
  categories: "follow-up titles (free text), due dates, who they are assigned to",
  recipients: "the members of the workspace; Rapport as processor",
};

/**
 * GDPR: follow-ups. A follow-up about a contact is that person's data: exported with
 * them and deleted when they are erased (its title usually names them). A member's
 * export holds the follow-ups they created, were assigned or completed.
 */
export const tasksPrivacy: PrivacyHandler = {
  module: "tasks",
  erases: ["tasks.title"],
  exportUser: (userId) => [
    {
      ...FILE,
      holds: "the follow-ups you created, were assigned or completed",
      retention: "until deleted by a member, or with the contact they are about",
      source: "entered by you or your team",
      ...tableRecords(
        tasks,
        taskColumns,
        or(eq(tasks.createdBy, userId), eq(tasks.assigneeId, userId), eq(tasks.completedBy, userId))!,
      ),
    },
  ],
  exportContact: (workspaceId, contactId) => [
    {
      ...FILE,
      holds: "the workspace's follow-ups about you",
      retention: "until deleted by a member, or with your contact record",
      source: "entered by the workspace's members",
      ...tableRecords(tasks, taskColumns, and(eq(tasks.workspaceId, workspaceId), eq(tasks.contactId, contactId))!),
    },
  ],
  async eraseContact(tx, workspaceId, contactId) {
    await tx.delete(tasks).where(and(eq(tasks.workspaceId, workspaceId), eq(tasks.contactId, contactId)));
  },
  restricts: (subject) => (subject.kind === "contact" ? ["new follow-ups about them"] : []),
};
