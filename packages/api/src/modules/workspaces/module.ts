import { defineModule } from "../../platform/module";
import { WorkspaceDeletionService } from "./deletion";
import { workspaceEvents } from "./events";
import { InvitationService } from "./invitations";
import { invitationsPrivacy } from "./invitations-privacy";
import { invitationsRouter } from "./invitations-router";
import { workspaceJobs } from "./jobs";
import { OwnershipService } from "./ownership";
import { workspacesPrivacy } from "./privacy";
import { workspacesRouter } from "./router";
import { WorkspaceService } from "./service";

declare module "../../platform/deps" {
  interface Services {
    workspaces: WorkspaceService;
    /** Handing a workspace to another member. */
    ownership: OwnershipService;
    /** Scheduled workspace deletion (grace period, cancel, the daily run). */
    workspaceDeletion: WorkspaceDeletionService;
    invitations: InvitationService;
  }
}

export const workspacesModule = defineModule({
  name: "workspaces",
  routers: { workspaces: workspacesRouter, invitations: invitationsRouter },
  createServices: (deps) => ({
    workspaces: new WorkspaceService(deps),
    ownership: new OwnershipService(deps),
    workspaceDeletion: new WorkspaceDeletionService(deps),
    invitations: new InvitationService(deps),
  }),
  events: workspaceEvents,
  jobs: workspaceJobs,
  // Invitations after workspaces and before auth: it finds them by the address the auth handler overwrites.
  privacy: [workspacesPrivacy, invitationsPrivacy],
});
