import type { ServiceDeps } from "../../platform/deps";
import type { ModuleEvents } from "../../platform/module";

/**
 * Contact and interaction events bump the workspace's cache generation (durable,
 * at least once); every instance evicts its in-process entries on the bus.
 */
export function cacheEvents({ cache }: ServiceDeps): ModuleEvents {
  return {
    consumers: [cache.consumer()],
    listeners: [(event) => cache.onEvent(event)],
  };
}
