import { appRouters } from "./modules/index";
import { router } from "./trpc";

/** The API: every module's routers, mounted under their keys (see modules/index.ts). */
export const appRouter = router(appRouters());

export type AppRouter = typeof appRouter;
