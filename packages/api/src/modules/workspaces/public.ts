/** What other modules may use of workspaces: its service's type, who owns what, and the export scope of a user's records. */
export { ownedWorkspaces } from "./ownership";
export { ownedOrCreatedBy } from "./privacy";
export type { WorkspaceService } from "./service";
