import { actorOf, router, workspaceMember, workspaceProcedure, workspaceProcessing } from "../../trpc";
import { ANALYTICS_EXPORT_ACCESS } from "./export";
import { setValuesInput } from "@rapport/core/schemas";
import { analyticsInput, contactRelationshipInput, exportInput, metricsInput, timeseriesInput } from "./schemas";

/**
 * Analytics of a workspace (definitions: README "Analytics", packages/core/src/analytics).
 * Every read is "as of" `asOf` (default: now, rounded up to the minute) and
 * answered from one cached computation per (workspace, settings revision, asOf).
 */
export const analyticsRouter = router({
  /** CLV, health, engagement, the previous period and the top contacts, in one call. */
  metrics: workspaceProcessing("member")
    .input(metricsInput)
    .query(({ ctx, input }) => ctx.runtime.services.analytics.metrics(input)),
  clv: workspaceProcessing("member")
    .input(analyticsInput)
    .query(({ ctx, input }) => ctx.runtime.services.analytics.clv(input)),
  health: workspaceProcessing("member")
    .input(analyticsInput)
    .query(({ ctx, input }) => ctx.runtime.services.analytics.health(input)),
  engagement: workspaceProcessing("member")
    .input(analyticsInput)
    .query(({ ctx, input }) => ctx.runtime.services.analytics.engagement(input)),
  // The same view as `metrics`: its sort and size of the top list.
  topContacts: workspaceProcessing("member")
    .input(metricsInput)
    .query(({ ctx, input }) => ctx.runtime.services.analytics.topContacts(input)),
  /**
   * One contact's relationship figures (health with its recency and frequency parts, CLV, last
   * contact), by the same definitions as the workspace figures. A restricted contact: FORBIDDEN.
   */
  contactRelationship: workspaceProcessing("member")
    .input(contactRelationshipInput)
    .query(({ ctx, input }) => ctx.runtime.services.analytics.contactRelationship(input)),
  /** Interactions per day or week, by type. */
  timeseries: workspaceProcessing("member")
    .input(timeseriesInput)
    .query(({ ctx, input }) => ctx.runtime.services.analytics.timeseries(input)),
  /** Interaction values and CLV thresholds of the workspace (owners and admins). */
  setValues: workspaceMember("admin")
    .input(setValuesInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.analytics.setValues(input, actorOf(ctx))),
  /**
   * Per-contact figures of the whole workspace as CSV or Excel: returns a
   * 60-second download link; GET it for the file (streamed, with
   * Content-Disposition). See ./export.ts.
   */
  export: workspaceProcedure(ANALYTICS_EXPORT_ACCESS)
    .input(exportInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.analytics.exportLink(input, ctx.user.userId)),
});
