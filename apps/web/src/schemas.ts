// First: configures zod before the shared schemas below are constructed.
import "./zod-config";

export * from "@rapport/core/schemas";

/**
 * auth.register's schema with the password rule: its list of common passwords is
 * a chunk of its own, loaded only for registration.
 */
export const loadRegisterInput = () => import("@rapport/core/schemas/register").then((module) => module.registerInput);

/** auth.changePassword's check for the account page, with the password rule (the same chunk). */
export const loadChangePasswordInput = (email: string) =>
  import("@rapport/core/schemas/register").then((module) => module.changePasswordInputFor(email));
