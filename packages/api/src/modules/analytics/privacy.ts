import { analyticsSettings } from "@rapport/db";
import { asc, count, eq } from "drizzle-orm";
import { countOf, toJson } from "../../platform/privacy/export-sources";
import type { PrivacyHandler } from "../../platform/privacy/registry";

/**
 * GDPR: analytics settings name the user who last edited them (a
 * pseudonymous id). Export (a user's preferences.json) only; no eraser.
 */
export const analyticsPrivacy: PrivacyHandler = {
  module: "analytics",
  erases: [],
  exportUser(userId) {
    const scope = eq(analyticsSettings.updatedBy, userId);
    return [
      {
        section: "preferences",
        file: "preferences.json",
        holds:
          "settings you changed: analytics interaction values and thresholds of workspaces where you last edited them",
        purpose: "applying your settings",
        categories: "preferences",
        recipients: "the members of the workspace",
        retention: "while the workspace exists",
        source: "you",
        count: (db) => countOf(db.select({ n: count() }).from(analyticsSettings).where(scope)),
        async *pages(db) {
          yield toJson(
            await db.select().from(analyticsSettings).where(scope).orderBy(asc(analyticsSettings.workspaceId)),
          );
        },
      },
    ];
  },
};
