import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import { getQueryKey } from "@trpc/react-query";
import { trpc, type RouterOutputs } from "../../trpc";

export type Contact = RouterOutputs["contacts"]["get"];
export type ContactPage = RouterOutputs["contacts"]["list"];
export type Interaction = RouterOutputs["interactions"]["listForContact"]["items"][number];
export type InteractionPage = RouterOutputs["interactions"]["listForContact"];

type Pages<T> = InfiniteData<T, unknown>;

/** Every cached contacts.list of the workspace (live ones, or the deleted view). */
function listsKey(workspaceId: string, deleted: boolean) {
  return getQueryKey(trpc.contacts.list, { workspaceId, deleted }, "infinite");
}

function mapItems(data: Pages<ContactPage> | undefined, map: (items: Contact[]) => Contact[]) {
  if (!data) return data;
  return { ...data, pages: data.pages.map((page) => ({ ...page, items: map(page.items) })) };
}

/** Takes contacts out of every cached list without refetching (keyset cursors stay valid). */
export function removeFromLists(queryClient: QueryClient, workspaceId: string, ids: Iterable<string>, deleted = false) {
  const gone = new Set(ids);
  queryClient.setQueriesData<Pages<ContactPage>>({ queryKey: listsKey(workspaceId, deleted) }, (data) =>
    mapItems(data, (items) => items.filter((item) => !gone.has(item.id))),
  );
}

/** Replaces a contact wherever a cached list shows it (after an edit). */
export function patchInLists(queryClient: QueryClient, workspaceId: string, contact: Contact) {
  queryClient.setQueriesData<Pages<ContactPage>>({ queryKey: listsKey(workspaceId, false) }, (data) =>
    mapItems(data, (items) => items.map((item) => (item.id === contact.id ? contact : item))),
  );
}

/**
 * After contacts appear (create, import, restore) their place depends on the
 * sort: keep only the first page of each cached list and refetch that one page,
 * instead of refetching every page the person scrolled through.
 */
export function refreshLists(queryClient: QueryClient, workspaceId: string, deleted = false) {
  const queryKey = listsKey(workspaceId, deleted);
  queryClient.setQueriesData<Pages<ContactPage>>({ queryKey }, (data) =>
    data && data.pages.length > 1 ? { pages: data.pages.slice(0, 1), pageParams: data.pageParams.slice(0, 1) } : data,
  );
  return queryClient.invalidateQueries({ queryKey });
}

/** A contact from any cached list, to paint the contact page before contacts.get answers. */
export function findInLists(queryClient: QueryClient, workspaceId: string, contactId: string) {
  for (const [, data] of queryClient.getQueriesData<Pages<ContactPage>>({ queryKey: listsKey(workspaceId, false) })) {
    for (const page of data?.pages ?? []) {
      const found = page.items.find((item) => item.id === contactId);
      if (found) return found;
    }
  }
  return undefined;
}

export function contactKey(workspaceId: string, contactId: string) {
  return getQueryKey(trpc.contacts.get, { workspaceId, contactId }, "query");
}
