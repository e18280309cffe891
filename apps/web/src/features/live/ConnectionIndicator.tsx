import { useLiveStatus } from "./LiveProvider";
import type { LiveStatus } from "./stream";

const TEXT: Record<LiveStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

const TITLE: Record<LiveStatus, string> = {
  connecting: "Opening the live connection",
  live: "Changes made by others appear as they happen",
  reconnecting: "The live connection dropped; reconnecting. Nothing is missed.",
  offline: "No live connection. Pages show what they loaded; changes by others appear once reconnected.",
};

/** Whether the workspace's views update live: live, reconnecting or offline (with a retry). */
export function ConnectionIndicator() {
  const live = useLiveStatus();
  if (!live) return null;
  return (
    <span className={`live-indicator live-${live.status}`}>
      <span role="status" className="live-indicator-text" title={TITLE[live.status]}>
        <span className="live-dot" aria-hidden="true" />
        <span className="visually-hidden">Connection: </span>
        <span className="live-label">{TEXT[live.status]}</span>
      </span>
      {live.status === "offline" && (
        <button type="button" className="button-secondary button-small" onClick={live.retry}>
          Retry
        </button>
      )}
    </span>
  );
}
