import { defineModule } from "../../platform/module";
import { activityEvents } from "./events";
import { LiveFeed } from "./live-feed";
import { activityPrivacy } from "./privacy";
import { activityRouter } from "./router";
import { ActivityService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    activity: ActivityService;
    liveFeed: LiveFeed;
  }
}

export const activityModule = defineModule({
  name: "activity",
  routers: { activity: activityRouter },
  createServices: (deps) => ({ activity: new ActivityService(deps), liveFeed: new LiveFeed(deps) }),
  events: activityEvents,
  privacy: [activityPrivacy],
});
