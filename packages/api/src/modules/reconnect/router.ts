import {
  reconnectContactInput,
  reconnectListInput,
  setKeepInTouchInput,
  snoozeReconnectInput,
} from "@rapport/core/schemas";
import { actorOf, router, workspaceMember } from "../../trpc";

export const reconnectRouter = router({
  /** Relationships going cold, with the reason in words, most valuable and most overdue first. */
  list: workspaceMember("member")
    .input(reconnectListInput)
    .query(({ ctx, input }) => ctx.runtime.services.reconnect.list(input)),
  /** A contact's chosen keep-in-touch frequency, snooze and last "done". */
  get: workspaceMember("member")
    .input(reconnectContactInput)
    .query(({ ctx, input }) => ctx.runtime.services.reconnect.get(input)),
  setKeepInTouch: workspaceMember("member")
    .input(setKeepInTouchInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.reconnect.setKeepInTouch(input, actorOf(ctx))),
  snooze: workspaceMember("member")
    .input(snoozeReconnectInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.reconnect.snooze(input, actorOf(ctx))),
  done: workspaceMember("member")
    .input(reconnectContactInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.reconnect.done(input, actorOf(ctx))),
});
