/**
 * The saved view the contacts list last applied or saved, per workspace, for this tab
 * (sessionStorage): a reload keeps it; another tab has its own.
 */
const key = (workspaceId: string) => `rapport.currentView.${workspaceId}`;

export function readCurrentView(workspaceId: string): string | null {
  try {
    return sessionStorage.getItem(key(workspaceId));
  } catch {
    return null;
  }
}

export function rememberCurrentView(workspaceId: string, viewId: string | null) {
  try {
    if (viewId) sessionStorage.setItem(key(workspaceId), viewId);
    else sessionStorage.removeItem(key(workspaceId));
  } catch {
    // Storage disabled: the current view lasts until the page is left.
  }
}
