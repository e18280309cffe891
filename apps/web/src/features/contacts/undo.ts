import type { QueryClient } from "@tanstack/react-query";
import { describeError } from "../../errors";
import type { trpc } from "../../trpc";
import { contactKey, refreshLists, removeFromLists } from "./cache";
import { showToast } from "../../components/toast";

type Client = ReturnType<typeof trpc.useUtils>["client"];

interface Deleted {
  id: string;
  name: string;
}

/** Restores many contacts, a few dozen calls at a time (the batch link folds each wave into one request). */
async function restoreContacts(client: Client, workspaceId: string, ids: string[]) {
  const failures: { id: string; error: unknown }[] = [];
  for (let start = 0; start < ids.length; start += 50) {
    const wave = ids.slice(start, start + 50);
    const results = await Promise.allSettled(
      wave.map((contactId) => client.contacts.restore.mutate({ workspaceId, contactId })),
    );
    results.forEach((result, index) => {
      if (result.status === "rejected") failures.push({ id: wave[index]!, error: result.reason });
    });
  }
  return failures;
}

/** Soft-deletes contacts, 1,000 per call (the API's limit). */
export async function deleteContacts(client: Client, workspaceId: string, ids: string[]) {
  const deletedIds: string[] = [];
  for (let start = 0; start < ids.length; start += 1_000) {
    const result = await client.contacts.delete.mutate({ workspaceId, contactIds: ids.slice(start, start + 1_000) });
    deletedIds.push(...result.deletedIds);
  }
  return deletedIds;
}

/** Updates the caches after a delete and shows "… deleted — Undo". */
export function afterDelete(queryClient: QueryClient, client: Client, workspaceId: string, deleted: Deleted[]) {
  const ids = deleted.map((contact) => contact.id);
  removeFromLists(queryClient, workspaceId, ids);
  void refreshLists(queryClient, workspaceId, true);
  showToast({
    message: deleted.length === 1 ? "Contact deleted" : `${deleted.length} contacts deleted`,
    action: {
      label: "Undo",
      run: async () => {
        const failures = await restoreContacts(client, workspaceId, ids);
        void refreshLists(queryClient, workspaceId);
        removeFromLists(
          queryClient,
          workspaceId,
          ids.filter((id) => !failures.some((f) => f.id === id)),
          true,
        );
        for (const id of ids) void queryClient.invalidateQueries({ queryKey: contactKey(workspaceId, id) });
        if (failures.length === 0) {
          showToast(
            deleted.length === 1
              ? {
                  message: `Restored ${deleted[0]!.name}.`,
                  link: {
                    label: "Open contact",
                    to: "/w/$workspaceId/contacts/$contactId",
                    params: { workspaceId, contactId: deleted[0]!.id },
                  },
                }
              : { message: `Restored ${deleted.length} contacts.` },
          );
        } else {
          const reason = describeError(failures[0]!.error).message;
          showToast({
            tone: "error",
            message:
              failures.length === ids.length
                ? `Could not restore: ${reason}`
                : `Restored ${ids.length - failures.length} of ${ids.length}; ${failures.length} failed: ${reason}`,
            link: { label: "Recently deleted", to: "/w/$workspaceId/contacts/deleted", params: { workspaceId } },
          });
        }
      },
    },
  });
}
