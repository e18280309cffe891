import { router, workspaceProcessing } from "../../trpc";
import { forbidden } from "../../errors";
import { CONTACT_RESTRICTED_MESSAGE } from "../gdpr/restriction";
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
      const restrictions = ctx.runtime.services.gdprErasure.restrictions;
      if (await restrictions.isRestricted("contact", input.contactId)) {
        throw forbidden(CONTACT_RESTRICTED_MESSAGE);
      }
      const list = await ctx.runtime.services.recommendations.forContact(input);
      const restricted = await restrictions.restrictedContacts(list.items.map((i) => i.contactId));
      return restricted.size === 0 ? list : { ...list, items: list.items.filter((i) => !restricted.has(i.contactId)) };
    }),
});
