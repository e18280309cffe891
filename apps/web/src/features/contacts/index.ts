/**
 * Contacts feature: list, contact page, recently deleted.
 *
 * Each page is its own chunk: the exports below are tiny wrappers that load the
 * page lazily (inside their own Suspense) and, meanwhile, prefetch the page's
 * first data so the request and the chunk download overlap.
 */
import { useSearch } from "@tanstack/react-router";
import { createElement, lazy, Suspense, useEffect } from "react";
import { Skeleton } from "../../components/Skeleton";
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

function fallback(label: string) {
  return createElement(Skeleton, { shape: "page", rows: 6, label });
}

export function ContactsListPage(props: ContactsListPageProps) {
  const utils = trpc.useUtils();
  const search = useSearch({ from: "/w/$workspaceId/contacts" });
  // biome-ignore lint/correctness/useExhaustiveDependencies: the first page of the view the list opens with
  useEffect(() => {
    void utils.contacts.list.prefetchInfinite(listInput(props.workspaceId, filtersFromSearch(search)));
  }, [utils, props.workspaceId]);
  return createElement(
    Suspense,
    { fallback: fallback("Loading contacts…") },
    createElement(ListChunk, { key: props.workspaceId, ...props }),
  );
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
