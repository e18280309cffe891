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
  createServices: (deps) => {
    const workspaces = new WorkspaceService(deps);
    const { services, cache } = deps;
    return {
      workspaces,
      ownership: new OwnershipService(deps, workspaces),
      // The GDPR export and recommendation services are built later: read them when a deletion runs.
      workspaceDeletion: new WorkspaceDeletionService(deps, workspaces, {
        detachExports: (tx, workspaceId, userIds) => services.gdprExports.detachForWorkspace(tx, workspaceId, userIds),
        deleteExportFiles: (keys) => services.gdprExports.deleteFiles(keys),
        forgetCache: (workspaceId) => cache.forgetWorkspace(workspaceId),
        removeJobs: (workspaceId) => services.recommendations.removeWarmupJobs(workspaceId),
      }),
      invitations: new InvitationService(deps, workspaces),
    };
  },
  events: workspaceEvents,
  jobs: workspaceJobs,
  // Invitations after workspaces and before auth: it finds them by the address the auth handler overwrites.
  privacy: [workspacesPrivacy, invitationsPrivacy],
});
