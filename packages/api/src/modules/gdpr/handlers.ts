import { activityPrivacy } from "../activity/privacy";
import { analyticsPrivacy } from "../analytics/privacy";
import { auditPrivacy } from "../audit/privacy";
import { authPrivacy } from "../auth/privacy";
import { contactsPrivacy } from "../contacts/privacy";
import { interactionsPrivacy } from "../interactions/privacy";
import { invitationsPrivacy } from "../workspaces/invitations-privacy";
import { workspacesPrivacy } from "../workspaces/privacy";
import { gdprPrivacy } from "./privacy";
import { PrivacyRegistry } from "../../platform/privacy/registry";

/**
 * Every module's privacy handler. A module that adds personal data adds its
 * handler here (the inventory test fails otherwise). Order matters only in that
 * dependent data goes before the record it names (erasure); export files are
 * ordered by section (EXPORT_SECTIONS), whatever the registration order.
 */
export function createPrivacyRegistry(): PrivacyRegistry {
  return new PrivacyRegistry()
    .register(interactionsPrivacy)
    .register(contactsPrivacy)
    .register(workspacesPrivacy)
    // Before auth: it finds the invitations by the address the auth handler overwrites.
    .register(invitationsPrivacy)
    .register(analyticsPrivacy)
    .register(activityPrivacy)
    .register(auditPrivacy)
    .register(authPrivacy)
    .register(gdprPrivacy);
}
