import { defineModule } from "../../platform/module";
import { notificationEvents } from "./events";
import { notificationJobs } from "./jobs";
import { notificationsPrivacy } from "./privacy";
import { notificationsRouter } from "./router";
import { NotificationService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    notifications: NotificationService;
  }
}

export const notificationsModule = defineModule({
  name: "notifications",
  routers: { notifications: notificationsRouter },
  createServices: (deps) => ({ notifications: new NotificationService(deps) }),
  events: notificationEvents,
  jobs: notificationJobs,
  privacy: [notificationsPrivacy],
});
