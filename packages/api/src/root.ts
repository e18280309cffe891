import { activityRouter } from "./modules/activity/router";
import { analyticsRouter } from "./modules/analytics/router";
import { auditRouter } from "./modules/audit/router";
import { authRouter } from "./modules/auth/router";
import { cacheRouter } from "./modules/cache/router";
import { contactsRouter } from "./modules/contacts/router";
import { gdprRouter } from "./modules/gdpr/router";
import { interactionsRouter } from "./modules/interactions/router";
import { recommendationsRouter } from "./modules/recommendations/router";
import { systemRouter } from "./modules/system/router";
import { invitationsRouter } from "./modules/workspaces/invitations-router";
import { workspacesRouter } from "./modules/workspaces/router";
import { router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
  workspaces: workspacesRouter,
  invitations: invitationsRouter,
  contacts: contactsRouter,
  interactions: interactionsRouter,
  activity: activityRouter,
  audit: auditRouter,
  recommendations: recommendationsRouter,
  cache: cacheRouter,
  analytics: analyticsRouter,
  gdpr: gdprRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
