import type { ServiceDeps } from "../../platform/deps";
import type { ModuleEvents } from "../../platform/module";

export function authEvents({ services }: ServiceDeps): ModuleEvents {
  return {
    // Sessions confirmed active are cached per instance; a session that ends on any instance is
    // dropped from every cache on the commit's wake-up, and again on the relayed event.
    listeners: [(event) => services.auth.onEvent(event)],
    commitListeners: [(commit) => services.auth.onCommit(commit)],
  };
}
