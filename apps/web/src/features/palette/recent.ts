import { useEffect } from "react";
import { useSession } from "../../session";

/** Contacts the person opened lately in a workspace, newest first (this browser only). */
export interface RecentContact {
  id: string;
  name: string;
}

const MAX_RECENT = 8;
const key = (userId: string, workspaceId: string) => `rapport.recentContacts.${userId}.${workspaceId}`;

export function readRecentContacts(userId: string, workspaceId: string): RecentContact[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(key(userId, workspaceId)) ?? "[]");
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter(
        (item): item is RecentContact =>
          typeof item === "object" &&
          item !== null &&
          typeof (item as RecentContact).id === "string" &&
          typeof (item as RecentContact).name === "string",
      )
      .slice(0, MAX_RECENT);
  } catch {
    return [];
  }
}

function remember(userId: string, workspaceId: string, contact: RecentContact) {
  const next = [contact, ...readRecentContacts(userId, workspaceId).filter((item) => item.id !== contact.id)];
  try {
    localStorage.setItem(key(userId, workspaceId), JSON.stringify(next.slice(0, MAX_RECENT)));
  } catch {
    // Storage disabled or full: nothing is remembered.
  }
}

/** Remembers the contact whose page is open, for the palette's "Recent". */
export function useRememberRecentContact(workspaceId: string, contact: RecentContact | null | undefined): void {
  const session = useSession();
  const userId = session.status === "signedIn" ? session.user.id : null;
  const id = contact?.id;
  const name = contact?.name;
  useEffect(() => {
    if (userId && id && name) remember(userId, workspaceId, { id, name });
  }, [userId, workspaceId, id, name]);
}
