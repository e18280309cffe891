import { z } from "zod";
import { WORKSPACE_ROLES } from "../roles";
import { emailSchema, idSchema, requiredText, stringSchema } from "./common";

export const workspaceRoleSchema = z.enum(WORKSPACE_ROLES);

const workspaceName = requiredText(100);

/** workspaces.create */
export const createWorkspaceInput = z.strictObject({ name: workspaceName });

/**
 * The country whose numbering a phone number written without a country code is read in
 * ("030 1234567" in DE), as ISO 3166-1 alpha-2; which codes have a numbering plan the service checks.
 */
export const phoneCountrySchema = z.string().regex(/^[A-Z]{2}$/, "must be a two-letter country code, e.g. DE");

/** workspaces.update: what changes (at least one). */
export const updateWorkspaceInput = z
  .strictObject({
    workspaceId: idSchema,
    name: workspaceName.optional(),
    phoneCountry: phoneCountrySchema.nullable().optional(),
  })
  .refine((input) => input.name !== undefined || input.phoneCountry !== undefined, {
    message: "nothing to change: give a name or a phone country",
  });

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
