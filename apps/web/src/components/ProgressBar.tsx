/**
 * The app's one progress bar (exports, warm-ups, syncs, recoveries): a bar with
 * the percent beside it. `percent` null means "running, amount unknown".
 */
export function ProgressBar({
  percent,
  label,
  valueText,
  tone = "running",
}: {
  percent: number | null;
  /** Accessible name, e.g. "Export progress". */
  label: string;
  /** What a screen reader says besides the number, e.g. "Collecting the data…". */
  valueText?: string;
  tone?: "running" | "done" | "failed";
}) {
  const value = percent === null ? null : Math.max(0, Math.min(100, Math.round(percent)));
  return (
    <div className={`progress-row progress-${tone}`}>
      <div
        className={`progress${value === null ? " progress-unknown" : ""}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value ?? undefined}
        aria-valuetext={value === null ? valueText : `${value}%${valueText ? ` · ${valueText}` : ""}`}
      >
        <div className="progress-fill" style={value === null ? undefined : { width: `${value}%` }} />
      </div>
      <span className="progress-text" aria-hidden="true">
        {value === null ? "…" : `${value}%`}
      </span>
    </div>
  );
}
