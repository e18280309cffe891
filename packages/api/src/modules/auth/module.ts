import { defineModule } from "../../platform/module";
import { authEvents } from "./events";
import { authPrivacy } from "./privacy";
import { authRouter } from "./router";
import { AuthService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    auth: AuthService;
  }
}

export const authModule = defineModule({
  name: "auth",
  routers: { auth: authRouter },
  createServices: (deps) => ({ auth: new AuthService(deps) }),
  events: authEvents,
  privacy: [authPrivacy],
});
