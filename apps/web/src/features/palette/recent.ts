import { useEffect, useMemo } from "react";
import { useSession } from "../../session";
import { trpc } from "../../trpc";

/** A contact the person opened lately, as the server names it now. */
export interface RecentContact {
  id: string;
  name: string;
}

const MAX_RECENT = 8;
const PREFIX = "rapport.recentContacts.";
const key = (userId: string, workspaceId: string) => `${PREFIX}${userId}.${workspaceId}`;

/**
 * The contacts the person opened lately in a workspace, newest first: ids only. The browser
 * keeps no names (personal data on a device outlives the session and any erasure); the
 * palette asks the server for them each time it opens. Lists written with names by an earlier
 * version, in any workspace, are rewritten without them at the first read.
 */
function readIds(userId: string, workspaceId: string): string[] {
  forgetStoredNames();
  return readIdsAt(key(userId, workspaceId));
}

let namesForgotten = false;
/** Once per page load: every list an earlier version wrote with names (any user, any workspace) loses them. */
function forgetStoredNames() {
  if (namesForgotten) return;
  namesForgotten = true;
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const stored = localStorage.key(i);
      if (stored?.startsWith(PREFIX)) readIdsAt(stored);
    }
  } catch {
    // Storage disabled: nothing was stored.
  }
}

/** The ids stored under `storageKey`, rewritten without names if they had them. */
function readIdsAt(storageKey: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(localStorage.getItem(storageKey) ?? "[]");
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
  if (parsed.some((item: unknown) => typeof item !== "string")) writeIdsAt(storageKey, ids);
  return ids;
}

function writeIds(userId: string, workspaceId: string, ids: string[]) {
  writeIdsAt(key(userId, workspaceId), ids);
}

function writeIdsAt(storageKey: string, ids: string[]) {
  try {
    localStorage.setItem(storageKey, JSON.stringify(ids.slice(0, MAX_RECENT)));
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
