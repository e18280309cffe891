import { z } from "zod";
import { idSchema } from "../../lib/schemas";
import { actorOf, router, workspaceMember } from "../../trpc";
import {
  bulkCreateInput,
  contactBulkInput,
  contactRefInput,
  countContactsInput,
  createContactInput,
  getContactInput,
  listContactsInput,
  updateContactInput,
} from "@rapport/core/schemas";

const deleteInput = z.strictObject({
  workspaceId: idSchema,
  contactIds: z.array(idSchema).min(1).max(1_000),
});

export const contactsRouter = router({
  create: workspaceMember("member")
    .input(createContactInput)
    .mutation(({ ctx, input: { workspaceId, ...contact } }) =>
      ctx.runtime.services.contacts.create(workspaceId, contact, actorOf(ctx)),
    ),
  bulkCreate: workspaceMember("member")
    .input(bulkCreateInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.contacts.bulkCreate(input.workspaceId, input.contacts, actorOf(ctx)),
    ),
  get: workspaceMember("member")
    .input(getContactInput)
    .query(({ ctx, input }) =>
      ctx.runtime.services.contacts.get(input.workspaceId, input.contactId, input.includeDeleted),
    ),
  list: workspaceMember("member")
    .input(listContactsInput)
    .query(({ ctx, input }) => ctx.runtime.services.contacts.list(input)),
  /** How many contacts the list's filters select (exact up to a bound; the list shows "10,000+" beyond). */
  count: workspaceMember("member")
    .input(countContactsInput)
    .query(({ ctx, input }) => ctx.runtime.services.contacts.count(input)),
  update: workspaceMember("member")
    .input(updateContactInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.contacts.update(input.workspaceId, input.contactId, input.patch, actorOf(ctx)),
    ),
  /** Soft delete of one or many (bulk delete in the list); restorable for the retention period. */
  delete: workspaceMember("member")
    .input(deleteInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.contacts.softDelete(input.workspaceId, input.contactIds, actorOf(ctx)),
    ),
  /**
   * Tag, untag, delete or restore every contact the list's filters select (not only the
   * loaded rows): up to 1,000 at once (`result`), more as a job (`jobId` for jobs.get/progress).
   */
  bulk: workspaceMember("member")
    .input(contactBulkInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.contactBulk.start(input, actorOf(ctx))),
  restore: workspaceMember("member")
    .input(contactRefInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.contacts.restore(input.workspaceId, input.contactId, actorOf(ctx)),
    ),
});
