import { defineModule } from "../../platform/module";
import { activityPrivacy } from "./privacy";
import { activityRouter } from "./router";
import { ActivityService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    activity: ActivityService;
  }
}

export const activityModule = defineModule({
  name: "activity",
  routers: { activity: activityRouter },
  createServices: (deps) => ({ activity: new ActivityService(deps) }),
  privacy: [activityPrivacy],
});
