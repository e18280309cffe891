import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { Link } from "@tanstack/react-router";

/**
 * The SPA's toasts: one at a time, kept outside React so it survives navigation
 * (deleting a contact returns to the list, which shows "Contact deleted — Undo").
 */
export interface Toast {
  id: number;
  message: string;
  tone?: "info" | "error";
  action?: { label: string; run: () => Promise<void> | void };
  link?: ToastLink;
}

/** Where a toast's link goes: a contact, or the recently deleted list. */
type ToastLink = { label: string } & (
  | { to: "/w/$workspaceId/contacts/$contactId"; params: { workspaceId: string; contactId: string } }
  | { to: "/w/$workspaceId/contacts/deleted"; params: { workspaceId: string } }
);

const DISMISS_AFTER_MS = 15_000;

let current: Toast | null = null;
let nextId = 1;
const listeners = new Set<() => void>();

function emit() {
  for (const listener of listeners) listener();
}

/**
 * Shows a toast in place of the current one. `interrupt: false` (news that arrived on
 * its own, like a notification) leaves a toast offering an action (Undo) in place: the
 * person may be about to click it. Returns the toast's id, or null when it was not shown.
 */
export function showToast(toast: Omit<Toast, "id">, { interrupt = true }: { interrupt?: boolean } = {}): number | null {
  if (!interrupt && current?.action) return null;
  current = { ...toast, id: nextId++ };
  emit();
  return current.id;
}

function dismissToast(id?: number) {
  if (!current || (id !== undefined && current.id !== id)) return;
  current = null;
  emit();
}

function useToast() {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
}

/**
 * The live region (role="status") the shell renders once, inside <main>. It exists
 * before its content so screen readers announce new toasts; auto-dismiss
 * pauses while the pointer or focus is inside.
 */
export function ToastRegion() {
  const toast = useToast();
  // Filled one tick after mount, so a toast carried over a navigation is still announced.
  const [ready, setReady] = useState(false);
  const [busy, setBusy] = useState(false);
  const [paused, setPaused] = useState(false);
  const region = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const timer = setTimeout(() => setReady(true), 50);
    return () => clearTimeout(timer);
  }, []);

  useEffect(() => {
    if (!toast || paused || busy) return;
    const timer = setTimeout(() => dismissToast(toast.id), DISMISS_AFTER_MS);
    return () => clearTimeout(timer);
  }, [toast, paused, busy]);

  const shown = ready ? toast : null;
  return (
    <div
      ref={region}
      role="status"
      aria-live="polite"
      className="toast-region"
      onMouseEnter={() => setPaused(true)}
      onMouseLeave={() => setPaused(false)}
      onFocus={() => setPaused(true)}
      onBlur={(event) => {
        if (!region.current?.contains(event.relatedTarget as Node | null)) setPaused(false);
      }}
    >
      {shown && (
        <div className={`toast${shown.tone === "error" ? " toast-error" : ""}`}>
          <span className="toast-message">{shown.message}</span>
          {shown.action && (
            <>
              <span aria-hidden="true"> — </span>
              <button
                type="button"
                className="toast-action"
                disabled={busy}
                onClick={() => {
                  setBusy(true);
                  // The action reports its own outcome in a toast; this only clears the busy state.
                  void Promise.resolve(shown.action!.run()).finally(() => setBusy(false));
                }}
              >
                {busy ? "Working…" : shown.action.label}
              </button>
            </>
          )}
          {shown.link && (
            <Link
              className="toast-link"
              to={shown.link.to}
              params={shown.link.params}
              onClick={() => dismissToast(shown.id)}
            >
              {shown.link.label}
            </Link>
          )}
          <button
            type="button"
            className="toast-close"
            aria-label="Dismiss notification"
            onClick={() => dismissToast(shown.id)}
          >
            ×
          </button>
        </div>
      )}
    </div>
  );
}
