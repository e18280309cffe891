import { defineModule } from "../../platform/module";
import { importJobs } from "./jobs";
import { importsRouter } from "./router";
import { ImportService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    imports: ImportService;
  }
}

/** Contact imports from CSV/XLSX: upload, mapping (and its templates), preview, the run as a job, its report. */
export const importsModule = defineModule({
  name: "imports",
  routers: { imports: importsRouter },
  createServices: (deps) => ({ imports: new ImportService(deps) }),
  jobs: importJobs,
});
