import { defineModule } from "../../platform/module";
import { ContactBulkService, contactBulkJobs } from "./bulk";
import { contactJobs } from "./jobs";
import { contactsPrivacy } from "./privacy";
import { contactsRouter } from "./router";
import { ContactService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    contacts: ContactService;
    contactBulk: ContactBulkService;
  }
}

export const contactsModule = defineModule({
  name: "contacts",
  routers: { contacts: contactsRouter },
  createServices: (deps) => {
    const contacts = new ContactService(deps);
    return { contacts, contactBulk: new ContactBulkService(deps, contacts) };
  },
  jobs: (deps) => [...contactJobs(deps), ...contactBulkJobs(deps)],
  privacy: [contactsPrivacy],
});
