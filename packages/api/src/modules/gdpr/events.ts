import type { ServiceDeps } from "../../platform/deps";
import type { ModuleEvents } from "../../platform/module";

export function gdprEvents({ services, restrictions }: ServiceDeps): ModuleEvents {
  return {
    consumers: [
      {
        // After `contact.erased` / `user.erased`, the files of the exports the erasure discarded are deleted (durably).
        name: "gdpr-exports-erasure",
        startFrom: "now",
        types: ["contact.erased", "user.erased"],
        // On the dispatcher's transaction: on a single connection (PGlite) the pool would wait for it forever.
        handle: async (events, tx) => {
          if (events.some((event) => event.type === "contact.erased" || event.type === "user.erased"))
            await services.gdprExports.deleteDiscardedFiles(tx);
        },
      },
    ],
    // Who restricts processing is kept in memory on every instance; restriction events on any
    // instance update it, on the commit's wake-up and again on the relayed event.
    listeners: [(event) => restrictions.onEvent(event)],
    commitListeners: [(commit) => restrictions.onCommit(commit)],
  };
}
