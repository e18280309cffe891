import { router } from "../../trpc";
import { erasureProcedures } from "./erasure/router";
import { exportProcedures } from "./export/router";

/** GDPR: access/portability exports, erasure, restriction, data map, operations. */
export const gdprRouter = router({
  ...exportProcedures,
  ...erasureProcedures,
});
