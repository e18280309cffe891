import { defineModule } from "../../platform/module";
import { contactJobs } from "./jobs";
import { contactsPrivacy } from "./privacy";
import { contactsRouter } from "./router";
import { ContactService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    contacts: ContactService;
  }
}

export const contactsModule = defineModule({
  name: "contacts",
  routers: { contacts: contactsRouter },
  createServices: (deps) => ({ contacts: new ContactService(deps) }),
  jobs: contactJobs,
  privacy: [contactsPrivacy],
});
