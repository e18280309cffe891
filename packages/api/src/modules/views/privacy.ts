import { savedViews } from "@rapport/db";
import { and, eq } from "drizzle-orm";
import { tableRecords } from "../../platform/privacy/export-sources";
import type { PrivacyHandler } from "../../platform/privacy/registry";

/**
 * GDPR: saved views name their owner. A member's export holds the views they saved; their
 * erasure deletes their private views and hands the shared ones to the workspace (owner
 * cleared), since the team works with them; admins may delete those.
 */
export const viewsPrivacy: PrivacyHandler = {
  module: "views",
  erases: [],
  exportUser: (userId) => [
    {
      section: "preferences",
      file: "saved-views.json",
      purpose: "the contacts list views you saved (filters, sort, columns)",
      categories: "view names, list filters, whether shared with the workspace",
      recipients: "you; the members of the workspace for views you shared; Rapport as processor",
      holds: "the contacts list views you saved",
      retention: "until you delete them, or with your account (shared ones stay with the workspace)",
      source: "entered by you",
      ...tableRecords(
        savedViews,
        {
          id: savedViews.id,
          workspaceId: savedViews.workspaceId,
          name: savedViews.name,
          shared: savedViews.shared,
          filters: savedViews.filters,
          sort: savedViews.sort,
          columns: savedViews.columns,
          createdAt: savedViews.createdAt,
          updatedAt: savedViews.updatedAt,
        },
        eq(savedViews.ownerId, userId),
      ),
    },
  ],
  async eraseUser(tx, userId) {
    await tx.delete(savedViews).where(and(eq(savedViews.ownerId, userId), eq(savedViews.shared, false)));
    await tx.update(savedViews).set({ ownerId: null }).where(eq(savedViews.ownerId, userId));
  },
};
