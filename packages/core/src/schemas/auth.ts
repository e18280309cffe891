import { z } from "zod";
import { PASSWORD_MAX_LENGTH } from "../password-length";
import { emailSchema, idSchema, requiredText, stringSchema } from "./common";

/** Any password a user may present (new ones must also pass the password rule). */
export const currentPasswordSchema = stringSchema
  .min(1, "must not be empty")
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

/**
 * Where the refresh token goes: `body` for API clients that store it
 * themselves, `cookie` for browsers (an httpOnly cookie; the body then has none).
 */
export const refreshTransportSchema = z.enum(["body", "cookie"]).default("body");

/** auth.login: any password up to the maximum, so old, shorter ones still work. */
export const loginInput = z.strictObject({
  email: emailSchema,
  password: currentPasswordSchema,
  refreshTransport: refreshTransportSchema,
});

/**
 * auth.register before the password rule is applied (`registerInput` in
 * `@rapport/core/schemas/register` adds it): its list of common passwords is large,
 * so the sign-up form checks the other fields without waiting for it.
 */
export const registerFieldsInput = z.strictObject({
  email: emailSchema,
  password: currentPasswordSchema,
  name: requiredText(200),
  refreshTransport: refreshTransportSchema,
});

/** auth.updateProfile: the name the account shows to the members of its workspaces. */
export const updateProfileInput = z.strictObject({
  name: requiredText(200),
});

/**
 * auth.changePassword: the current password (re-entered, limited like sign-in) and the new
 * one, which the service checks against the password rule with the account's address.
 */
export const changePasswordInput = z.strictObject({
  currentPassword: currentPasswordSchema,
  newPassword: currentPasswordSchema,
});

/** auth.revokeSession: one of the caller's own sign-in sessions. */
export const revokeSessionInput = z.strictObject({
  sessionId: idSchema,
});
