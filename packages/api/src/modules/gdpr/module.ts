import { defineModule } from "../../platform/module";
import { GdprErasureService } from "./erasure/service";
import { gdprEvents } from "./events";
import { GdprExportService } from "./export/service";
import { gdprJobs } from "./jobs";
import { gdprPrivacy } from "./privacy";
import type { PrivacyRegistry } from "../../platform/privacy/registry";
import { gdprRouter } from "./router";

declare module "../../platform/deps" {
  interface Services {
    /** GDPR access/portability exports. */
    gdprExports: GdprExportService;
    /** Every module's export/erase/restrict handlers. */
    privacy: PrivacyRegistry;
    /** GDPR erasure, restriction, operations log and data map. */
    gdprErasure: GdprErasureService;
  }
}

export const gdprModule = defineModule({
  name: "gdpr",
  routers: { gdpr: gdprRouter },
  createServices: (deps) => ({
    gdprExports: new GdprExportService(deps),
    privacy: deps.privacy,
    gdprErasure: new GdprErasureService(deps),
  }),
  events: gdprEvents,
  jobs: gdprJobs,
  privacy: [gdprPrivacy],
});
