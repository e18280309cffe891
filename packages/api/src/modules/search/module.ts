import { defineModule } from "../../platform/module";
import { searchJobs } from "./jobs";
import { searchPrivacy } from "./privacy";
import { searchRouter } from "./router";
import { SearchService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    search: SearchService;
  }
}

export const searchModule = defineModule({
  name: "search",
  routers: { search: searchRouter },
  createServices: (deps) => ({ search: new SearchService(deps) }),
  jobs: searchJobs,
  privacy: [searchPrivacy],
});
