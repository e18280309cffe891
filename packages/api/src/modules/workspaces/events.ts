import type { ServiceDeps } from "../../platform/deps";
import type { ModuleEvents } from "../../platform/module";

export function workspaceEvents({ services }: ServiceDeps): ModuleEvents {
  return {
    consumers: [
      {
        // Durable: every `workspace.deleted` drops the workspace's cache entries, Redis keys and jobs (retried while Redis is down).
        name: "workspace-deletion-cleanup",
        startFrom: "now",
        types: ["workspace.deleted"],
        handle: async (events) => {
          for (const event of events) {
            if (event.type === "workspace.deleted")
              await services.workspaceDeletion.forgetLeftovers(String(event.payload.workspaceId));
          }
        },
      },
    ],
    // Role lookups are cached per instance; membership changes on any instance evict them, on
    // the commit's wake-up and again on the relayed event.
    listeners: [(event) => services.workspaces.onEvent(event)],
    commitListeners: [(commit) => services.workspaces.onCommit(commit)],
  };
}
