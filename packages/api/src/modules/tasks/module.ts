import { defineModule } from "../../platform/module";
import { taskJobs } from "./jobs";
import { tasksPrivacy } from "./privacy";
import { tasksRouter } from "./router";
import { TaskService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    tasks: TaskService;
  }
}

export const tasksModule = defineModule({
  name: "tasks",
  routers: { tasks: tasksRouter },
  createServices: (deps) => ({ tasks: new TaskService(deps) }),
  jobs: taskJobs,
  privacy: [tasksPrivacy],
});
