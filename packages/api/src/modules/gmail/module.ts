import { defineModule } from "../../platform/module";
import { gmailEvents } from "./events";
import { gmailJobs } from "./jobs";
import { gmailPrivacy } from "./privacy";
import { gmailRouter } from "./router";
import { GmailService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    gmail: GmailService;
  }
}

export const gmailModule = defineModule({
  name: "gmail",
  routers: { gmail: gmailRouter },
  createServices: (deps) => ({ gmail: new GmailService(deps) }),
  events: gmailEvents,
  jobs: gmailJobs,
  privacy: [gmailPrivacy],
});
