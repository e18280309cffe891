import { defineModule } from "../../platform/module";
import { jobsRouter } from "./router";
import { JobsService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    jobs: JobsService;
  }
}

/** Progress of long jobs: the reading side of `deps.progress` (platform/progress.ts). */
export const jobsModule = defineModule({
  name: "jobs",
  routers: { jobs: jobsRouter },
  createServices: (deps) => ({ jobs: new JobsService(deps) }),
});
