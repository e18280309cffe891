/** The workspace each account last opened in this browser (opened again after sign-in). */
const key = (userId: string) => `rapport.lastWorkspace.${userId}`;

export function readLastWorkspace(userId: string): string | null {
  try {
    return localStorage.getItem(key(userId));
  } catch {
    return null;
  }
}

export function rememberWorkspace(userId: string, workspaceId: string | null) {
  try {
    if (workspaceId) localStorage.setItem(key(userId), workspaceId);
    else localStorage.removeItem(key(userId));
  } catch {
    // Storage disabled: nothing is remembered.
  }
}
