import { defineModule } from "../../platform/module";
import { reconnectPrivacy } from "./privacy";
import { reconnectRouter } from "./router";
import { ReconnectService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    reconnect: ReconnectService;
  }
}

export const reconnectModule = defineModule({
  name: "reconnect",
  routers: { reconnect: reconnectRouter },
  createServices: (deps) => ({ reconnect: new ReconnectService(deps) }),
  privacy: [reconnectPrivacy],
});
