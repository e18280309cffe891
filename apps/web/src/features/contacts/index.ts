/**
 * Contacts feature: list, contact page, recently deleted.
 *
 * Each page is its own chunk: the exports below are tiny wrappers that load the
 * page lazily (inside their own Suspense) and, meanwhile, prefetch the page's
 * first data so the request and the chunk download overlap.
 *
 * Stable accessible names (for E2E tests):
 *   Contacts list (/w/:ws/contacts)
 *     heading level 1 "Contacts"
 *     button "Add contact" opens the form (the button hides while the form is open; the form has "Cancel")
 *       fields "Name", "Email", "Company", "Title", "Phone", "Tags" (comma-separated); submit button "Save contact"
 *       server messages appear under each field (aria-describedby); on a duplicate email: link "Open the existing contact"
 *     button "Import CSV" opens the import panel (hidden while it is open)
 *       file input "CSV file"; button "Import"; errors in role="alert" with a table of problems by row
 *     link "Recently deleted"
 *     search box "Search contacts"; filters "Tag filter", "Employer" (exact company), "Source"; select "Sort by"
 *     grid (role="grid") named "Contacts": rows role="row", name cell role="rowheader" (a link to the contact)
 *       row checkboxes "Select <name>"; checkbox "Select all loaded (<n>)"; button "Delete selected"
 *       keyboard: arrows move between cells, Home/End, Ctrl+Home/End, PageUp/PageDown, Enter opens, Space selects
 *   Toast (every contacts page): role="status"; text "Contact deleted" / "<n> contacts deleted" with button "Undo";
 *     button "Dismiss notification"
 *   Contact page (/w/:ws/contacts/:id)
 *     heading level 1 = the contact's name (next to it "Processing restricted" / "Erased"); link "← Contacts"; button "Delete contact"
 *     owners/admins: region "Privacy" (features/gdpr/ContactPrivacy.tsx)
 *     button "Edit profile" → fields "Name", "Email", "Company", "Title", "Phone"; buttons "Save changes", "Cancel"
 *     tags: list named "Tags", buttons "Remove tag <tag>", field "New tag", button "Add tag"
 *     button "Log interaction" (hidden while the form is open) → fields "Type", "Direction", "When", "Subject",
 *       "Summary"; submit "Save interaction"; "Cancel"
 *     list (ol) named "Timeline", newest first; per item button "Delete interaction" → "Yes, delete" / "Cancel"
 *   Recently deleted (/w/:ws/contacts/deleted)
 *     heading level 1 "Recently deleted"; per contact button "Restore" (described by the contact's name)
 */
import { createElement, lazy, Suspense, useEffect } from "react";
import { trpc, type WorkspaceRole } from "../../trpc";
import { deletedListInput, filtersFromSearch, listInput, timelineInput } from "./listParams";

export interface ContactsListPageProps {
  workspaceId: string;
  role: WorkspaceRole;
}
export interface ContactPageProps {
  workspaceId: string;
  contactId: string;
  role: WorkspaceRole;
}
export interface DeletedContactsPageProps {
  workspaceId: string;
}

const ListChunk = lazy(() => import("./ContactsListPage"));
const ContactChunk = lazy(() => import("./ContactPage"));
const DeletedChunk = lazy(() => import("./DeletedContactsPage"));

function fallback(text: string) {
  return createElement("p", { className: "muted" }, text);
}

export function ContactsListPage(props: ContactsListPageProps) {
  const utils = trpc.useUtils();
  useEffect(() => {
    void utils.contacts.list.prefetchInfinite(listInput(props.workspaceId, filtersFromSearch(window.location.search)));
  }, [utils, props.workspaceId]);
  return createElement(Suspense, { fallback: fallback("Loading contacts…") }, createElement(ListChunk, { key: props.workspaceId, ...props }));
}

export function ContactPage(props: ContactPageProps) {
  const utils = trpc.useUtils();
  useEffect(() => {
    void utils.contacts.get.prefetch({ workspaceId: props.workspaceId, contactId: props.contactId });
    void utils.interactions.listForContact.prefetchInfinite(timelineInput(props.workspaceId, props.contactId));
    void utils.gdpr.contactPrivacy.prefetch({ workspaceId: props.workspaceId, contactId: props.contactId });
  }, [utils, props.workspaceId, props.contactId]);
  return createElement(
    Suspense,
    { fallback: fallback("Loading contact…") },
    createElement(ContactChunk, { key: `${props.workspaceId}/${props.contactId}`, ...props }),
  );
}

export function DeletedContactsPage(props: DeletedContactsPageProps) {
  const utils = trpc.useUtils();
  useEffect(() => {
    void utils.contacts.list.prefetchInfinite(deletedListInput(props.workspaceId));
  }, [utils, props.workspaceId]);
  return createElement(
    Suspense,
    { fallback: fallback("Loading deleted contacts…") },
    createElement(DeletedChunk, { key: props.workspaceId, ...props }),
  );
}
