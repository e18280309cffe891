import { actorOf, router, workspaceMember } from "../../trpc";
import { createExportLink } from "./export";
import { analyticsInput, exportInput, metricsInput, setValuesInput, timeseriesInput, topContactsInput } from "./schemas";

/**
 * Analytics of a workspace (definitions: README "Analytics", packages/core/src/analytics).
 * Every read is "as of" `asOf` (default: now, rounded up to the minute) and
 * answered from one cached computation per (workspace, settings revision, asOf).
 */
export const analyticsRouter = router({
  /** CLV, health, engagement, the previous period and the top contacts, in one call. */
  metrics: workspaceMember("member")
    .input(metricsInput)
    .query(({ ctx, input }) => ctx.runtime.services.analytics.metrics(input)),
  clv: workspaceMember("member")
    .input(analyticsInput)
    .query(({ ctx, input }) => ctx.runtime.services.analytics.clv(input)),
  health: workspaceMember("member")
    .input(analyticsInput)
    .query(({ ctx, input }) => ctx.runtime.services.analytics.health(input)),
  engagement: workspaceMember("member")
    .input(analyticsInput)
    .query(({ ctx, input }) => ctx.runtime.services.analytics.engagement(input)),
  topContacts: workspaceMember("member")
    .input(topContactsInput)
    .query(({ ctx, input }) => ctx.runtime.services.analytics.topContacts(input)),
  /** Interactions per day or week, by type. */
  timeseries: workspaceMember("member")
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
  export: workspaceMember("member")
    .input(exportInput)
    .mutation(({ ctx, input }) =>
      createExportLink(ctx.runtime.config, ctx.runtime.clock.now(), {
        workspaceId: input.workspaceId,
        userId: ctx.user.userId,
        format: input.format,
        sortBy: input.sortBy,
        asOf: ctx.runtime.services.analytics.resolveAsOf(input.asOf),
      }),
    ),
});
