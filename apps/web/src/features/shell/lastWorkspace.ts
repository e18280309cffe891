import { readStored, writeStored } from "../../storage";

/** The workspace each account last opened in this browser (opened again after sign-in). */
const key = (userId: string) => `rapport.lastWorkspace.${userId}`;
const browser = () => localStorage;

export const readLastWorkspace = (userId: string) => readStored(browser, key(userId));

export const rememberWorkspace = (userId: string, workspaceId: string | null) =>
  writeStored(browser, key(userId), workspaceId);
