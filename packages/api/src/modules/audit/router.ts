import { auditListInput } from "@rapport/core/schemas";
import { router, workspaceMember } from "../../trpc";

export const auditRouter = router({
  list: workspaceMember("admin")
    .input(auditListInput)
    .query(({ ctx, input }) => ctx.runtime.services.audit.list(input)),
});
