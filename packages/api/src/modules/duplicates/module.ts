import { defineModule } from "../../platform/module";
import { duplicateJobs } from "./jobs";
import { duplicatesPrivacy } from "./privacy";
import { duplicatesRouter } from "./router";
import { DuplicatesService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    duplicates: DuplicatesService;
  }
}

export const duplicatesModule = defineModule({
  name: "duplicates",
  routers: { duplicates: duplicatesRouter },
  createServices: (deps) => ({ duplicates: new DuplicatesService(deps) }),
  jobs: duplicateJobs,
  privacy: [duplicatesPrivacy],
});
