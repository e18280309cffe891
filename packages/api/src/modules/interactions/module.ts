import { defineModule } from "../../platform/module";
import { interactionsPrivacy } from "./privacy";
import { interactionsRouter } from "./router";
import { InteractionService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    interactions: InteractionService;
  }
}

export const interactionsModule = defineModule({
  name: "interactions",
  routers: { interactions: interactionsRouter },
  createServices: (deps) => ({ interactions: new InteractionService(deps) }),
  privacy: [interactionsPrivacy],
});
