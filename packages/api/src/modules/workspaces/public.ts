/** What other modules may use of workspaces: who owns what, and the export scope of a user's records. */
export { ownedWorkspaces } from "./ownership";
export { ownedOrCreatedBy } from "./privacy";
