import { useEffect, useRef } from "react";

/**
 * Something another part of the app asked a page to do once it shows (the command
 * palette's "Add contact" opens the contacts page's form; "Log interaction" a contact's).
 * The request waits for the page if it is not mounted yet, and reaches it at once if it is.
 */
export type PageIntent = "contact.add" | "interaction.log";

const pending = new Set<PageIntent>();
const listeners = new Set<() => void>();

export function requestIntent(intent: PageIntent): void {
  pending.add(intent);
  for (const listener of listeners) listener();
}

/** Runs `onIntent` when `intent` is requested (or was, before this page mounted); each request once. */
export function useIntent(intent: PageIntent, onIntent: () => void): void {
  const handler = useRef(onIntent);
  handler.current = onIntent;
  useEffect(() => {
    const take = () => {
      if (pending.delete(intent)) handler.current();
    };
    take();
    listeners.add(take);
    return () => {
      listeners.delete(take);
    };
  }, [intent]);
}
