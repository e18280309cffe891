import { defineModule } from "../../platform/module";
import { systemRouter } from "./router";

export const systemModule = defineModule({
  name: "system",
  routers: { system: systemRouter },
});
