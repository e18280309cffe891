import { defineModule } from "../../platform/module";
import { webhookEvents } from "./events";
import { webhookJobs } from "./jobs";
import { webhooksPrivacy } from "./privacy";
import { webhooksRouter } from "./router";
import { WebhookService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    webhooks: WebhookService;
  }
}

export const webhooksModule = defineModule({
  name: "webhooks",
  routers: { webhooks: webhooksRouter },
  createServices: (deps) => ({ webhooks: new WebhookService(deps) }),
  events: webhookEvents,
  jobs: webhookJobs,
  privacy: [webhooksPrivacy],
});
