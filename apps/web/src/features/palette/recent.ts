import { useEffect, useMemo } from "react";
import { useSession } from "../../session";
import { trpc } from "../../trpc";

/** A contact the person opened lately, as the server names it now. */
export interface RecentContact {
  id: string;
  name: string;
}

const MAX_RECENT = 8;
const key = (userId: string, workspaceId: string) => `rapport.recentContacts.${userId}.${workspaceId}`;

/**
 * The contacts the person opened lately in a workspace, newest first: ids only. The browser
 * keeps no names (personal data on a device outlives the session and any erasure); the
 * palette asks the server for them each time it opens. Lists written with names by an earlier
 * version are rewritten without them on first read.
 */
function readIds(userId: string, workspaceId: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(localStorage.getItem(key(userId, workspaceId)) ?? "[]");
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const ids = parsed
    .map((item: unknown) =>
      typeof item === "string"
        ? item
        : typeof item === "object" && item !== null && typeof (item as { id?: unknown }).id === "string"
          ? (item as { id: string }).id
          : null,
    )
    .filter((id): id is string => id !== null)
    .slice(0, MAX_RECENT);
  if (parsed.some((item: unknown) => typeof item !== "string")) writeIds(userId, workspaceId, ids);
  return ids;
}

function writeIds(userId: string, workspaceId: string, ids: string[]) {
  try {
    localStorage.setItem(key(userId, workspaceId), JSON.stringify(ids.slice(0, MAX_RECENT)));
  } catch {
    // Storage disabled or full: nothing is remembered.
  }
}

/** Remembers the contact whose page is open, for the palette's "Recent". */
export function useRememberRecentContact(workspaceId: string, contactId: string | undefined): void {
  const session = useSession();
  const userId = session.status === "signedIn" ? session.user.id : null;
  useEffect(() => {
    if (!userId || !contactId) return;
    writeIds(userId, workspaceId, [contactId, ...readIds(userId, workspaceId).filter((id) => id !== contactId)]);
  }, [userId, workspaceId, contactId]);
}

/**
 * The palette's "Recent": the remembered contacts the server still has, under their current
 * names, newest first. One that is gone (deleted, merged into another) is forgotten.
 */
export function useRecentContacts(workspaceId: string | null, userId: string | null): RecentContact[] {
  const ids = workspaceId && userId ? readIds(userId, workspaceId) : [];
  // Asked again each time the palette opens (the cached answer shows meanwhile).
  const contacts = trpc.useQueries((t) =>
    ids.map((contactId) =>
      t.contacts.get({ workspaceId: workspaceId ?? "", contactId }, { retry: false, staleTime: 0 }),
    ),
  );
  // A refetch that failed keeps the last answer beside its error: the error decides.
  const isGone = (index: number) => contacts[index]?.error?.data?.code === "NOT_FOUND";
  // As strings, so that the effect and the memo below change only when what they hold does.
  const gone = ids.filter((_, index) => isGone(index)).join(" ");
  useEffect(() => {
    if (!workspaceId || !userId || gone === "") return;
    const forgotten = new Set(gone.split(" "));
    writeIds(
      userId,
      workspaceId,
      readIds(userId, workspaceId).filter((id) => !forgotten.has(id)),
    );
  }, [workspaceId, userId, gone]);
  const named = JSON.stringify(
    contacts.flatMap(({ data }, index) => (data && !isGone(index) ? [{ id: data.id, name: data.name }] : [])),
  );
  return useMemo(() => JSON.parse(named) as RecentContact[], [named]);
}
