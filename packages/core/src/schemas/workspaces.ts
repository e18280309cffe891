import { z } from "zod";
import { WORKSPACE_ROLES } from "../roles";
import { emailSchema, idSchema, requiredText, stringSchema } from "./common";

export const workspaceRoleSchema = z.enum(WORKSPACE_ROLES);

/** workspaces.create */
export const createWorkspaceInput = z.strictObject({ name: requiredText(100) });

/** invitations.invite */
export const inviteMemberInput = z.strictObject({
  workspaceId: idSchema,
  email: emailSchema,
  role: workspaceRoleSchema.default("member"),
});

/** workspaces.transferOwnership: the member who becomes owner. */
export const transferOwnershipInput = z.strictObject({ workspaceId: idSchema, userId: idSchema });

/** workspaces.requestDeletion: `confirmation` is the workspace's name as typed (compared in the service). */
export const workspaceDeletionInput = z.strictObject({
  workspaceId: idSchema,
  confirmation: stringSchema.max(200, "must be at most 200 characters"),
});
