/** Export procedures (Art. 15/20): requestExport, exportContact, exportStatus. */
import { z } from "zod";
import { idSchema } from "../../../lib/schemas";
import { actorOf, authed, workspaceMember } from "../../../trpc";
import { EXPORT_SECTIONS } from "../../../platform/privacy/export-sources";

const requestExportInput = z.strictObject({
  /** Sections to include (profile is always included); all when omitted. */
  include: z.array(z.enum(EXPORT_SECTIONS)).min(1).max(EXPORT_SECTIONS.length).optional(),
});
const exportContactInput = z.strictObject({ workspaceId: idSchema, contactId: idSchema });
const exportStatusInput = z.strictObject({ exportId: idSchema });

export const exportProcedures = {
  /** The calling user's own data; a second request while one is open returns that one. */
  requestExport: authed
    .input(requestExportInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.gdprExports.requestUserExport(actorOf(ctx), input.include)),
  /** Owners/admins answering a contact's access request (the workspace is the controller). */
  exportContact: workspaceMember("admin")
    .input(exportContactInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.gdprExports.requestContactExport(actorOf(ctx), input.workspaceId, input.contactId),
    ),
  /** Progress and, once completed, the signed download link (the requester or the workspace's owners/admins only). */
  exportStatus: authed
    .input(exportStatusInput)
    .query(({ ctx, input }) => ctx.runtime.services.gdprExports.status(ctx.user.userId, input.exportId)),
};
