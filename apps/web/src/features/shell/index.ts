/** The app shell's API for feature pages. */
export { useWorkspace, useOptionalWorkspace, hasRole, canManage, ROLE_LABELS } from "./workspace";
export type { CurrentWorkspace, WorkspaceRole } from "./workspace";
export { useCurrentUser } from "../../session";
