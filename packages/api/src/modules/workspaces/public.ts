/** What other modules may use of workspaces: who owns what, who is a member, and the export scope of a user's records. */
export { isMemberSql } from "./membership";
export { ownedWorkspaces } from "./ownership";
export { ownedOrCreatedBy } from "./privacy";
