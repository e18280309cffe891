import { defineModule } from "../../platform/module";
import { recommendationEvents } from "./events";
import { recommendationJobs } from "./jobs";
import { recommendationsRouter } from "./router";
import { RecommendationService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    recommendations: RecommendationService;
  }
}

export const recommendationsModule = defineModule({
  name: "recommendations",
  routers: { recommendations: recommendationsRouter },
  createServices: (deps) => ({ recommendations: new RecommendationService(deps) }),
  events: recommendationEvents,
  jobs: recommendationJobs,
});
