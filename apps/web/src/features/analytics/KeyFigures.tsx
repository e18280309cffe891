import { useId, type ReactNode } from "react";
import type { RouterOutputs } from "../../trpc";
import { describeChange, formatInteger, formatMoney, formatMoneyShort, formatNumber, type Direction } from "./format";

type Metrics = RouterOutputs["analytics"]["metrics"];

const TREND_LABELS = { improving: "Improving", declining: "Declining", stable: "Stable" } as const;

/** The four KPI cards, each against the previous 30 days. */
export function KeyFigures({ metrics }: { metrics: Metrics }) {
  const id = useId();
  const { previousPeriod: previous, engagement, health, clv } = metrics;
  const hadContacts = previous.contacts > 0;
  const trend = health.trend;
  return (
    <section aria-labelledby={`${id}-title`} className="stack">
      <h2 id={`${id}-title`} className="visually-hidden">
        Key figures
      </h2>
      <div className="an-kpis">
        <Kpi
          label="Average CLV"
          value={formatMoney(clv.average)}
          change={describeChange(clv.average, hadContacts ? previous.averageClv : null, formatMoney)}
          note={`Total ${formatMoneyShort(clv.total)} over ${formatInteger(metrics.contacts)} contacts`}
        />
        <Kpi
          label="Average health"
          value={
            <>
              {formatNumber(health.average)}
              <span className="an-kpi-unit"> / 100</span>
            </>
          }
          change={describeChange(health.average, previous.averageHealth, formatNumber)}
          note={`${TREND_LABELS[trend.direction]}${trend.delta === null ? "" : ` (${trend.delta >= 0 ? "+" : "−"}${formatNumber(Math.abs(trend.delta))} in 30 days)`}`}
        />
        <Kpi
          label="Active contacts (30 days)"
          value={formatInteger(engagement.contactedContacts)}
          change={describeChange(
            engagement.contactedContacts,
            hadContacts ? previous.contactedContacts : null,
            formatInteger,
          )}
          note={`${formatInteger(engagement.inactiveContacts)} with nothing in 90 days`}
        />
        <Kpi
          label="Interactions (30 days)"
          value={formatInteger(engagement.interactions30d)}
          change={describeChange(
            engagement.interactions30d,
            hadContacts ? previous.interactions30d : null,
            formatInteger,
          )}
          note={`${formatNumber(engagement.avgInteractionsPerContact)} per contact overall · ${formatInteger(engagement.newContacts30d)} new contacts`}
        />
      </div>
    </section>
  );
}

function Kpi({
  label,
  value,
  change,
  note,
}: {
  label: string;
  value: ReactNode;
  change: { text: string; direction: Direction };
  note: string;
}) {
  const id = useId();
  const arrow = change.direction === "up" ? "▲" : change.direction === "down" ? "▼" : "■";
  return (
    <div className="card an-kpi" role="group" aria-labelledby={`${id}-label`}>
      <p className="an-kpi-label" id={`${id}-label`}>
        {label}
      </p>
      <p className="an-kpi-value">{value}</p>
      <p className={`an-kpi-change an-${change.direction}`}>
        <span aria-hidden="true">{arrow} </span>
        {change.text}
      </p>
      <p className="an-kpi-note muted small">{note}</p>
    </div>
  );
}
