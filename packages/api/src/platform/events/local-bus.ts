import { AsyncLocalStorage } from "node:async_hooks";
import type { DomainEvent, EventListener } from "./types";
import type { Logger } from "../../logger";

/** In-process fan-out of events to this instance's listeners. */
export class LocalEventBus {
  private readonly listeners = new Set<EventListener>();
  // Listeners run in the bus's own async context: without Redis the relay publishes from
  // inside the dispatcher's transaction, which work a listener starts is not part of.
  private readonly ownContext = AsyncLocalStorage.snapshot();

  constructor(private readonly log: Logger) {}

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(events: DomainEvent[]): void {
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          this.ownContext(listener, event);
        } catch (error) {
          this.log.error({ err: error, eventId: event.id }, "event listener failed");
        }
      }
    }
  }
}
