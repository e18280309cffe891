import { defineModule } from "../../platform/module";
import { viewsPrivacy } from "./privacy";
import { viewsRouter } from "./router";
import { SavedViewService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    views: SavedViewService;
  }
}

/** Saved views of the contacts list. */
export const viewsModule = defineModule({
  name: "views",
  routers: { views: viewsRouter },
  createServices: (deps) => ({ views: new SavedViewService(deps) }),
  privacy: [viewsPrivacy],
});
