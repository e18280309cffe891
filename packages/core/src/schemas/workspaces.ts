import { z } from "zod";
import { WORKSPACE_ROLES } from "../roles";
import { emailSchema, idSchema, requiredText } from "./common";

export const workspaceRoleSchema = z.enum(WORKSPACE_ROLES);

/** workspaces.create */
export const createWorkspaceInput = z.strictObject({ name: requiredText(100) });

/** invitations.invite */
export const inviteMemberInput = z.strictObject({
  workspaceId: idSchema,
  email: emailSchema,
  role: workspaceRoleSchema.default("member"),
});
