import { useEffect, useId, useState } from "react";
import { dayOf, RANGES, type RangeDays, type ViewParams } from "./params";

const RANGE_LABELS: Record<RangeDays, string> = { 30: "Last 30 days", 90: "Last 90 days", 365: "Last 12 months" };

/** The dashboard's period: the day the figures are as of, and the charts' range. */
export function ViewControls({ view, onChange }: { view: ViewParams; onChange: (next: Partial<ViewParams>) => void }) {
  const id = useId();
  const today = dayOf(new Date());
  // What the field shows: the person's own entry, even one the view refuses (a future day).
  const [draft, setDraft] = useState(view.asOfDay ?? "");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setDraft(view.asOfDay ?? "");
    setError(null);
  }, [view.asOfDay]);

  const choose = (day: string) => {
    setDraft(day);
    if (day && day > today) {
      // Refused, and said so: the figures exist up to today, never ahead of it.
      setError(`${day} is in the future. Pick today or an earlier day.`);
      return;
    }
    setError(null);
    onChange({ asOfDay: day && day < today ? day : null });
  };
  return (
    <form className="an-controls" onSubmit={(event) => event.preventDefault()} aria-label="Dashboard period">
      <div className="field">
        <label htmlFor={`${id}-asof`}>As of</label>
        <div className="an-inline">
          <input
            id={`${id}-asof`}
            type="date"
            max={today}
            value={draft}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-asof-error ${id}-asof-hint` : `${id}-asof-hint`}
            onChange={(event) => choose(event.target.value)}
          />
          {/* Always there (disabled when already today), so the controls never shift. */}
          <button
            type="button"
            className="button-secondary button-small"
            disabled={!view.asOfDay && !draft}
            onClick={() => choose("")}
          >
            Today
          </button>
        </div>
        {error && (
          <p className="field-error" id={`${id}-asof-error`} role="alert">
            {error}
          </p>
        )}
        <p className="hint" id={`${id}-asof-hint`}>
          Empty: now. A past day shows the figures at its end.
        </p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-range`}>Chart range</label>
        <select
          id={`${id}-range`}
          value={view.range}
          onChange={(event) => onChange({ range: Number(event.target.value) as RangeDays })}
        >
          {RANGES.map((range) => (
            <option key={range} value={range}>
              {RANGE_LABELS[range]}
            </option>
          ))}
        </select>
      </div>
    </form>
  );
}
