import type { PrivacyHandler } from "../../platform/privacy/registry";

/**
 * Search stores nothing of its own (its indexes are over the contacts' and interactions'
 * columns, erased with them). While a contact is restricted, the contact can still be
 * found, to be managed, but what it said and did (its interactions) is not searched.
 */
export const searchPrivacy: PrivacyHandler = {
  module: "search",
  erases: [],
  restricts: (subject) => (subject.kind === "contact" ? ["search of their interactions"] : []),
};
