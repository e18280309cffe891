import { z } from "zod";
import { toTRPCError } from "../../errors";
import { stringSchema } from "../../lib/schemas";
import { authed, router } from "../../trpc";

/** Job ids are server-made (uuids, or `warmup-<workspace>-<uuid>`): letters, digits and dashes. */
const jobInput = z.strictObject({
  jobId: stringSchema.regex(/^[A-Za-z0-9-]{1,120}$/, "must be a job id"),
});

export const jobsRouter = router({
  /** A long job's progress now (`{ percent, done, total, etaSec, stage }`), for its user or workspace. */
  get: authed.input(jobInput).query(({ ctx, input }) => ctx.runtime.services.jobs.get(ctx.user.userId, input.jobId)),

  /** The same over SSE: the snapshot first, then every change, ending when the job does. */
  progress: authed.input(jobInput).subscription(async function* ({ ctx, input, signal }) {
    try {
      yield* ctx.runtime.services.jobs.watch(ctx.user.userId, input.jobId, signal);
    } catch (error) {
      // Thrown while streaming, so past the error-mapping middleware: map it here.
      throw toTRPCError(error);
    }
  }),
});
