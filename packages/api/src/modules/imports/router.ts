import {
  importPreviewInput,
  importRefInput,
  importStartInput,
  importTemplateListInput,
  importTemplateRefInput,
  importTemplateSaveInput,
} from "@rapport/core/schemas";
import { actorOf, router, workspaceMember } from "../../trpc";

/**
 * Contact imports. The file itself comes through the plain route IMPORT_UPLOAD_PATH
 * (upload.ts), authorized like these procedures; the report downloads from IMPORT_REPORT_PATH.
 */
export const importsRouter = router({
  /** Headers, a mapping (given, from a template or guessed from the headers) and the first rows checked cell by cell. */
  preview: workspaceMember("member")
    .input(importPreviewInput)
    .query(({ ctx, input }) => ctx.runtime.services.imports.preview(input)),
  /** Runs the import as a job: progress through jobs.get/jobs.progress with the returned jobId. */
  start: workspaceMember("member")
    .input(importStartInput)
    .mutation(({ ctx, input: { workspaceId, importId, ...options } }) =>
      ctx.runtime.services.imports.start(workspaceId, importId, options, actorOf(ctx)),
    ),
  /** Status, counts and the first problems of one import. */
  get: workspaceMember("member")
    .input(importRefInput)
    .query(({ ctx, input }) => ctx.runtime.services.imports.get(input.workspaceId, input.importId)),
  /** The workspace's recent imports. */
  list: workspaceMember("member")
    .input(importTemplateListInput)
    .query(({ ctx, input }) => ctx.runtime.services.imports.list(input.workspaceId)),
  templates: workspaceMember("member")
    .input(importTemplateListInput)
    .query(({ ctx, input }) => ctx.runtime.services.imports.listTemplates(input.workspaceId)),
  saveTemplate: workspaceMember("member")
    .input(importTemplateSaveInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.imports.saveTemplate(
        input.workspaceId,
        input.name,
        input.headers,
        input.mapping,
        actorOf(ctx),
      ),
    ),
  deleteTemplate: workspaceMember("member")
    .input(importTemplateRefInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.imports.deleteTemplate(input.workspaceId, input.templateId)),
});
