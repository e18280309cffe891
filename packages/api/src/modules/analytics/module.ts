import { defineModule } from "../../platform/module";
import { analyticsPrivacy } from "./privacy";
import { analyticsRouter } from "./router";
import { AnalyticsService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    analytics: AnalyticsService;
  }
}

export const analyticsModule = defineModule({
  name: "analytics",
  routers: { analytics: analyticsRouter },
  // Cached on the shared cache layer, so the cache module's consumer and listener invalidate it too; no consumer of its own.
  createServices: (deps) => ({ analytics: new AnalyticsService(deps) }),
  privacy: [analyticsPrivacy],
});
