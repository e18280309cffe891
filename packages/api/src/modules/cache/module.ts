import { defineModule } from "../../platform/module";
import { cacheEvents } from "./events";
import { cacheRouter } from "./router";
import { CacheAdminService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    cache: CacheAdminService;
  }
}

export const cacheModule = defineModule({
  name: "cache",
  routers: { cache: cacheRouter },
  createServices: (deps) => ({ cache: new CacheAdminService(deps) }),
  events: cacheEvents,
});
