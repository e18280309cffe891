import type { ModuleEvents } from "../../platform/module";
import type { ServiceDeps } from "../../platform/deps";

/** Every committed event, heard on this instance, may be news for its open live streams. */
export function activityEvents(deps: ServiceDeps): ModuleEvents {
  return {
    listeners: [deps.services.liveFeed.onEvent],
    commitListeners: [deps.services.liveFeed.onCommit],
    batchEndListeners: [deps.services.liveFeed.onBatchEnded],
  };
}
