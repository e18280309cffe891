import { useCallback, useState } from "react";
import { readStored, writeStored } from "../../storage";

/**
 * Optional system notifications for new notifications while Rapport is in the background.
 * Off by default; the person turns them on from the notification settings, which is the
 * only place the browser's permission is asked (once: a refusal is the browser's to undo).
 * The choice is this browser's (localStorage), like the permission it depends on.
 *
 * Every tab of the workspace hears each event (one shared stream): a tab the person is
 * looking at shows its toast and tells the others on a BroadcastChannel; hidden tabs wait
 * a moment and show the system notification only if no tab claimed it, with one tag per
 * notification so several hidden tabs still make one.
 */
const STORAGE_KEY = "rapport.browserNotifications";
const CLAIM_WAIT_MS = 400;

const supported = () => typeof window !== "undefined" && "Notification" in window;

const stored = () => readStored(() => localStorage, STORAGE_KEY) === "on";

const store = (on: boolean) => writeStored(() => localStorage, STORAGE_KEY, on ? "on" : null);

export type BrowserNotificationsState = "unsupported" | "off" | "on" | "blocked";

function currentState(): BrowserNotificationsState {
  if (!supported()) return "unsupported";
  if (Notification.permission === "denied") return "blocked";
  return stored() && Notification.permission === "granted" ? "on" : "off";
}

/** The settings' switch: turning it on asks the browser's permission if it was never asked. */
export function useBrowserNotifications() {
  const [state, setState] = useState(currentState);
  const [asking, setAsking] = useState(false);
  const turnOn = useCallback(async () => {
    if (!supported()) return;
    setAsking(true);
    try {
      const permission =
        Notification.permission === "default" ? await Notification.requestPermission() : Notification.permission;
      store(permission === "granted");
    } finally {
      setAsking(false);
      setState(currentState());
    }
  }, []);
  const turnOff = useCallback(() => {
    store(false);
    setState(currentState());
  }, []);
  return { state, asking, turnOn, turnOff };
}

const claims = new Set<string>();
let channel: BroadcastChannel | null | undefined;
function claimsChannel(): BroadcastChannel | null {
  if (channel === undefined) {
    channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("rapport.notifications");
    if (channel) channel.onmessage = (message: MessageEvent<string>) => claims.add(String(message.data));
  }
  return channel;
}

/** This tab shows the notification itself (a toast): the hidden tabs need not. */
export function claimNotification(notificationId: string): void {
  claims.add(notificationId);
  claimsChannel()?.postMessage(notificationId);
}

/** In a hidden tab: a system notification, if the person turned them on and no tab in view showed it. */
export function showBrowserNotification(notificationId: string, text: string): void {
  if (currentState() !== "on") return;
  claimsChannel();
  setTimeout(() => {
    if (claims.has(notificationId)) return;
    claims.add(notificationId);
    try {
      const notification = new Notification("Rapport", { body: text, tag: `rapport-${notificationId}` });
      // Clicked: back to Rapport, where the bell has it.
      notification.onclick = () => {
        window.focus();
        notification.close();
      };
    } catch {
      // Some browsers allow system notifications only from a service worker: the bell still has it.
    }
  }, CLAIM_WAIT_MS);
}
