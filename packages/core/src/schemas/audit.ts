import { z } from "zod";
import { idSchema, pageFields, trimmedString } from "./common";

/** audit.list: the workspace's log, optionally one exact action and/or one actor. */
export const auditListInput = z.strictObject({
  workspaceId: idSchema,
  action: trimmedString(100).nullish(),
  actorId: idSchema.nullish(),
  ...pageFields,
});
