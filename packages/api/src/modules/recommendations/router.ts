import { router, workspaceProcessing } from "../../trpc";
import { assertNotRestricted, restrictedAmong } from "../gdpr/restriction";
import { forContactInput } from "./schemas";

export const recommendationsRouter = router({
  /**
   * Contacts this contact is most likely connected to, with reasons; `cached` says whether the cache answered.
   * GDPR (issue 6), this module's one enforcement point: a restricted contact gets FORBIDDEN and is
   * left out of other contacts' lists.
   */
  forContact: workspaceProcessing("member")
    .input(forContactInput)
    .query(async ({ ctx, input }) => {
      const db = ctx.runtime.database.db;
      await assertNotRestricted(db, [input.contactId]);
      const list = await ctx.runtime.services.recommendations.forContact(input);
      const restricted = await restrictedAmong(db, list.items.map((i) => i.contactId));
      return restricted.size === 0 ? list : { ...list, items: list.items.filter((i) => !restricted.has(i.contactId)) };
    }),
});
