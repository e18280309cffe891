import type { Tx } from "@rapport/db";
import { sql } from "drizzle-orm";
import type { PrivacyHandler } from "../../platform/privacy/registry";
import { deleteUnusedTerms } from "./terms";

/**
 * Search's indexes are over the contacts' and interactions' columns, erased with them.
 * Its own table is the vocabulary of typo tolerance (search_terms: the distinct words of a
 * workspace, with no link to a person): an erasure removes the words of the person's name,
 * email and phone that nothing left in the workspace uses. It runs after the contacts' and
 * interactions' handlers (registration order), so what they cleared no longer counts. The
 * words of purged contacts and deleted interactions go with the daily prune (./jobs.ts).
 *
 * While a contact is restricted, the contact can still be found, to be managed, but what it
 * said and did (its interactions) is not searched.
 */
export const searchPrivacy: PrivacyHandler = {
  module: "search",
  erases: ["search_terms.term"],
  async eraseContact(tx: Tx, workspaceId, _contactId, ctx) {
    const terms = ctx.terms ?? [];
    if (terms.length === 0) return;
    // The words as the contact's search_doc holds them (contact_search_doc, 0009): an email
    // split at its punctuation, a hyphenated name as a whole and as its parts.
    const text = terms.join(" ");
    const words = sql`(SELECT l.lexeme FROM unnest(
      to_tsvector('simple'::regconfig, search_fold(${text}))
      || to_tsvector('simple'::regconfig, search_fold(translate(${text}, '@._+-', '     ')))) l)`;
    await deleteUnusedTerms(tx, workspaceId, words);
  },
  restricts: (subject) => (subject.kind === "contact" ? ["search of their interactions"] : []),
};
