import { z } from "zod";
import { currentPasswordSchema } from "./auth";
import { requiredText } from "./common";

/** Why a data-subject request is made: recorded with it. */
export const requestReasonSchema = requiredText(1_000);

/** gdpr.requestDeletion: the calling user's own account, confirmed with their password. */
export const accountDeletionInput = z.strictObject({ reason: requestReasonSchema, password: currentPasswordSchema });
