import { useQueryClient } from "@tanstack/react-query";
import { ErrorMessage } from "../../components/ErrorMessage";
// Analytics feature: the contact's relationship figures in the side column.
import { RelationshipPanel } from "../analytics/RelationshipPanel";
// Recommendations feature: the "Suggested connections" panel in the side column.
import { SuggestedConnections } from "../recommendations/SuggestedConnections";
// GDPR: restriction/erasure state for everyone, privacy actions for owners/admins.
import {
  ContactPrivacyBadges,
  ContactPrivacyNotice,
  ContactPrivacyPanel,
  useContactPrivacy,
} from "../gdpr/ContactPrivacy";
import { canManage } from "../shell/workspace";
import { useRememberRecentContact } from "../palette/recent";
// Tasks feature: the contact's open follow-ups and how often to keep in touch.
import { ContactFollowUps } from "../tasks/ContactFollowUps";
import { describeError } from "../../errors";
import { trpc, type WorkspaceRole } from "../../trpc";
import { Link, useNavigate } from "@tanstack/react-router";
import { contactKey, findInLists } from "./cache";
import { ContactProfile, TagEditor } from "./ContactProfile";
import { lastListSearch } from "./listParams";
import { Timeline } from "./Timeline";
import { afterDelete } from "./undo";
import "./contacts.css";
import { Skeleton } from "../../components/Skeleton";

export interface ContactPageProps {
  workspaceId: string;
  contactId: string;
  role: WorkspaceRole;
}

export default function ContactPage({ workspaceId, contactId, role }: ContactPageProps) {
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const navigate = useNavigate();
  const contactQuery = trpc.contacts.get.useQuery(
    { workspaceId, contactId },
    // Paint at once from the list the person came from; contacts.get still confirms.
    { placeholderData: () => findInLists(queryClient, workspaceId, contactId) },
  );
  const contact = contactQuery.data;
  useRememberRecentContact(workspaceId, contact?.id);
  const privacy = useContactPrivacy(workspaceId, contactId).data;
  const erased = Boolean(privacy?.erasedAt);
  const restricted = Boolean(privacy?.restricted);

  const remove = trpc.contacts.delete.useMutation({
    onSuccess: () => {
      if (!contact) return;
      afterDelete(queryClient, utils.client, workspaceId, [{ id: contact.id, name: contact.name }]);
      void navigate({ to: "/w/$workspaceId/contacts", params: { workspaceId }, search: lastListSearch() });
      // After the page has gone, so nothing refetches a contact that is now deleted.
      setTimeout(() => queryClient.removeQueries({ queryKey: contactKey(workspaceId, contactId) }), 0);
    },
  });

  const backLink = (
    <nav aria-label="Breadcrumb" className="ct-breadcrumb">
      <Link
        to="/w/$workspaceId/contacts"
        params={{ workspaceId }}
        search={lastListSearch()}
        activeOptions={{ exact: true }}
      >
        ← Contacts
      </Link>
    </nav>
  );

  if (contactQuery.isPending) {
    return (
      <div className="ct-page">
        {backLink}
        <Skeleton shape="page" rows={6} label="Loading contact…" />
      </div>
    );
  }

  if (!contact) {
    const notFound = describeError(contactQuery.error).code === "NOT_FOUND";
    return (
      <div className="ct-page">
        {backLink}
        <h1>{notFound ? "Contact not found" : "Could not load this contact"}</h1>
        {notFound ? (
          <p>
            This contact does not exist or was deleted. Deleted contacts can be restored from{" "}
            <Link to="/w/$workspaceId/contacts/deleted" params={{ workspaceId }}>
              Recently deleted
            </Link>{" "}
            for 30 days.
          </p>
        ) : (
          <ErrorMessage error={contactQuery.error}>
            <button type="button" className="button-secondary" onClick={() => void contactQuery.refetch()}>
              Try again
            </button>
          </ErrorMessage>
        )}
      </div>
    );
  }

  const subtitle = [contact.title, contact.company].filter(Boolean).join(" at ");
  return (
    <div className="ct-page">
      {backLink}
      <div className="ct-page-head ct-contact-head">
        <div className="ct-contact-title">
          <div className="ct-title-row">
            <h1>{contact.name}</h1>
            <ContactPrivacyBadges privacy={privacy} />
          </div>
          {subtitle && <p className="muted ct-subtitle">{subtitle}</p>}
        </div>
        <div className="ct-head-actions">
          <button
            type="button"
            className="button-danger"
            disabled={remove.isPending}
            onClick={() => remove.mutate({ workspaceId, contactIds: [contact.id] })}
          >
            {remove.isPending ? "Deleting…" : "Delete contact"}
          </button>
        </div>
      </div>
      {remove.error && <ErrorMessage error={remove.error} />}
      {contactQuery.error && <ErrorMessage error={contactQuery.error} />}
      <ContactPrivacyNotice privacy={privacy} />
      <div className="ct-contact-layout">
        <div className="ct-contact-side">
          {/* Editing is processing too: refused by the server while restricted (Art. 18), so not offered. */}
          <ContactProfile workspaceId={workspaceId} contact={contact} readOnly={erased} restricted={restricted} />
          {!erased && <TagEditor workspaceId={workspaceId} contact={contact} restricted={restricted} />}
          {/* Follow-ups and keep-in-touch reminders are processing too: off while restricted (Art. 18) or erased. */}
          {privacy && !erased && !restricted && (
            <ContactFollowUps workspaceId={workspaceId} contact={{ id: contact.id, name: contact.name }} />
          )}
          {/* Analytics: health, CLV, last contact. Asked for only once the contact is known not to be restricted (Art. 18) or erased. */}
          {privacy && !erased && !restricted && <RelationshipPanel workspaceId={workspaceId} contactId={contact.id} />}
          {/* Recommendations feature: whom this contact likely knows, with reasons. Off while restricted (Art. 18) or erased. */}
          {!erased && !restricted && (
            <SuggestedConnections workspaceId={workspaceId} contactId={contact.id} contactName={contact.name} />
          )}
          {canManage(role) && !erased && <ContactPrivacyPanel workspaceId={workspaceId} contact={contact} />}
        </div>
        <Timeline workspaceId={workspaceId} contact={contact} />
      </div>
    </div>
  );
}
