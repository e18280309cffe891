import { defineModule } from "../../platform/module";
import { auditPrivacy } from "./privacy";
import { auditRouter } from "./router";
import { AuditService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    audit: AuditService;
  }
}

export const auditModule = defineModule({
  name: "audit",
  routers: { audit: auditRouter },
  createServices: (deps) => ({ audit: new AuditService(deps) }),
  privacy: [auditPrivacy],
});
