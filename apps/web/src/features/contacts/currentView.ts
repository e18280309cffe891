import { readStored, writeStored } from "../../storage";

/**
 * The saved view the contacts list last applied or saved, per workspace, for this tab
 * (sessionStorage): a reload keeps it; another tab has its own.
 */
const key = (workspaceId: string) => `rapport.currentView.${workspaceId}`;
const tab = () => sessionStorage;

export const readCurrentView = (workspaceId: string) => readStored(tab, key(workspaceId));

export const rememberCurrentView = (workspaceId: string, viewId: string | null) =>
  writeStored(tab, key(workspaceId), viewId);
