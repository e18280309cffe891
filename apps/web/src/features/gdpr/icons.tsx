/** A small "paused" mark for restricted processing (decorative: the text next to it says it). */
export function PauseIcon() {
  return (
    <svg className="pv-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
      <circle cx="8" cy="8" r="7.25" fill="none" stroke="currentColor" strokeWidth="1.5" />
      <rect x="5.25" y="4.5" width="1.9" height="7" rx="0.5" fill="currentColor" />
      <rect x="8.85" y="4.5" width="1.9" height="7" rx="0.5" fill="currentColor" />
    </svg>
  );
}
