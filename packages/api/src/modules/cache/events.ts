import { CACHE_CONSUMER_NAME } from "../../infra/cache/index";
import type { ServiceDeps } from "../../platform/deps";
import { FALLBACK_BATCH_GAP_MS } from "../../platform/events/types";
import type { ModuleEvents } from "../../platform/module";

/**
 * Contact and interaction events bump the workspace's cache generation (durable,
 * at least once; it starts from now because a fresh cache holds nothing older).
 * Every instance evicts its in-process entries as soon as any instance commits (the
 * commit's wake-up names its events, or the fence's probe asks Postgres what changed),
 * and again, idempotently, when the event reaches its bus: that path waits for the
 * dispatcher's pass and is the fallback.
 */
export function cacheEvents({ cache }: ServiceDeps): ModuleEvents {
  return {
    consumers: [
      {
        name: CACHE_CONSUMER_NAME,
        startFrom: "now",
        // A fallback: every instance bumps the generation on hearing of the commit (onCommit).
        batchGapMs: FALLBACK_BATCH_GAP_MS,
        handle: (events) => cache.bumpForEvents(events),
      },
    ],
    listeners: [(event) => cache.onEvent(event)],
    commitListeners: [(commit) => cache.onCommit(commit)],
  };
}
