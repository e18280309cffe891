import { z } from "zod";
import { currentPasswordSchema } from "./auth";
import { idSchema, requiredText } from "./common";

/** Why a data-subject request is made: recorded with it. */
export const requestReasonSchema = requiredText(1_000);

/** gdpr.requestDeletion: the calling user's own account, confirmed with their password. */
export const accountDeletionInput = z.strictObject({ reason: requestReasonSchema, password: currentPasswordSchema });

/** gdpr.eraseContact: Art. 17 for a contact, answered by the workspace, with why. */
export const contactErasureInput = z.strictObject({
  workspaceId: idSchema,
  contactId: idSchema,
  reason: requestReasonSchema,
});
