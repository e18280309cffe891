import { activityRouter } from "./modules/activity/router";
import { auditRouter } from "./modules/audit/router";
import { authRouter } from "./modules/auth/router";
import { contactsRouter } from "./modules/contacts/router";
import { interactionsRouter } from "./modules/interactions/router";
import { workspacesRouter } from "./modules/workspaces/router";
import { router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
  workspaces: workspacesRouter,
  contacts: contactsRouter,
  interactions: interactionsRouter,
  activity: activityRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
