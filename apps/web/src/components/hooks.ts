import { useEffect, useMemo, useState, type RefObject } from "react";
import { describeError } from "../errors";

/** Date.now(), re-rendering every `intervalMs` (for relative times and countdowns). */
export function useNow(intervalMs: number, enabled = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!enabled) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, enabled]);
  return now;
}

/**
 * Seconds left before a rate-limited call may be retried (0 when it may be
 * retried now or the error is not a rate limit). Counts down once a second.
 */
export function useRetryAfter(error: unknown): number {
  // A new error object starts a new countdown.
  const deadline = useMemo(() => {
    const seconds = error ? describeError(error).retryAfterSeconds : undefined;
    return seconds !== undefined ? Date.now() + seconds * 1000 : null;
  }, [error]);
  const now = useNow(1_000, deadline !== null);
  return deadline === null ? 0 : Math.max(0, Math.ceil((deadline - now) / 1000));
}

export function useDebounced<T>(value: T, delayMs: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}

/** Sets document.title while mounted ("Members · Acme · Rapport"). */
export function useDocumentTitle(...parts: (string | null | undefined)[]) {
  const title = [...parts.filter(Boolean), "Rapport"].join(" · ");
  useEffect(() => {
    document.title = title;
  }, [title]);
}

/**
 * While `open`, closes a popover (disclosure panel, menu) on Escape — handing focus back
 * to its button — and on a click or focus outside `root`.
 */
export function useDismiss(
  open: boolean,
  close: () => void,
  root: RefObject<HTMLElement | null>,
  button: RefObject<HTMLElement | null>,
) {
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        close();
        button.current?.focus();
      }
    };
    const onOutside = (event: Event) => {
      if (root.current && !root.current.contains(event.target as Node)) close();
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onOutside);
    document.addEventListener("focusin", onOutside);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onOutside);
      document.removeEventListener("focusin", onOutside);
    };
  }, [open, close, root, button]);
}
