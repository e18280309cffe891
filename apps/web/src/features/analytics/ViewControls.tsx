import { useId } from "react";
import { dayOf, RANGES, type RangeDays, type ViewParams } from "./params";

const RANGE_LABELS: Record<RangeDays, string> = { 30: "Last 30 days", 90: "Last 90 days", 365: "Last 12 months" };

/** The dashboard's period: the day the figures are as of, and the charts' range. */
export function ViewControls({ view, onChange }: { view: ViewParams; onChange: (next: Partial<ViewParams>) => void }) {
  const id = useId();
  const today = dayOf(new Date());
  return (
    <form className="an-controls" onSubmit={(event) => event.preventDefault()} aria-label="Dashboard period">
      <div className="field">
        <label htmlFor={`${id}-asof`}>As of</label>
        <div className="an-inline">
          <input
            id={`${id}-asof`}
            type="date"
            max={today}
            value={view.asOfDay ?? ""}
            aria-describedby={`${id}-asof-hint`}
            onChange={(event) =>
              onChange({ asOfDay: event.target.value && event.target.value < today ? event.target.value : null })
            }
          />
          {view.asOfDay && (
            <button type="button" className="button-secondary button-small" onClick={() => onChange({ asOfDay: null })}>
              Today
            </button>
          )}
        </div>
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
