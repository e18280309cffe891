/**
 * The dashboard's three charts (chart.js through react-chartjs-2). This module
 * is its own chunk, loaded after the figures: the first route never pays for
 * the chart library.
 *
 * Every chart is a <figure> whose canvas has a text alternative, with a
 * caption that says what it shows and a "Show data" table with the numbers.
 * Colours are the Okabe–Ito palette (distinguishable with colour-vision
 * deficiencies); the line chart also varies point shapes and dashes.
 */
import {
  ArcElement,
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Legend,
  LinearScale,
  LineElement,
  PointElement,
  Tooltip,
  type ChartOptions,
  type PointStyle,
  type TooltipItem,
} from "chart.js";
import { useId, useMemo, type ReactNode } from "react";
import { Bar, Doughnut, Line } from "react-chartjs-2";
import type { RouterOutputs } from "../../trpc";
import { formatDay, formatInteger, formatMoneyShort, percentOf } from "./format";

ChartJS.register(ArcElement, BarElement, CategoryScale, LinearScale, LineElement, PointElement, Tooltip, Legend);

export type InteractionType = Exclude<keyof TimeBucket, "startsAt" | "total">;
export const TYPES = ["email", "meeting", "call", "linkedin", "note"] as const satisfies readonly InteractionType[];
export const TYPE_LABELS: Record<InteractionType, string> = {
  email: "Email",
  meeting: "Meeting",
  call: "Call",
  linkedin: "LinkedIn",
  note: "Note",
};
const TYPE_STYLE: Record<InteractionType, { color: string; point: PointStyle; dash: number[] }> = {
  email: { color: "#0072B2", point: "circle", dash: [] },
  meeting: { color: "#E69F00", point: "triangle", dash: [6, 3] },
  call: { color: "#009E73", point: "rect", dash: [] },
  linkedin: { color: "#CC79A7", point: "rectRot", dash: [2, 2] },
  note: { color: "#7a7f8c", point: "star", dash: [8, 3, 2, 3] },
};
const HEALTH = [
  { key: "healthy", label: "Healthy (70–100)", color: "#009E73" },
  { key: "at_risk", label: "At risk (40–69)", color: "#E69F00" },
  { key: "inactive", label: "Inactive (under 40)", color: "#D55E00" },
] as const;
const CLV_COLORS = ["#56B4E9", "#0072B2", "#004A75"];

type Metrics = RouterOutputs["analytics"]["metrics"];
type TimeSeries = RouterOutputs["analytics"]["timeseries"];
export type TimeBucket = TimeSeries["buckets"][number];

export interface ChartsProps {
  health: Metrics["health"]["distribution"];
  clv: Metrics["clv"]["distribution"];
  thresholds: Metrics["settings"]["thresholds"];
  series: Pick<TimeSeries, "buckets" | "bucket"> | null;
  seriesError?: string | null;
}

function themeColors() {
  const style = getComputedStyle(document.documentElement);
  return {
    text: style.getPropertyValue("--text").trim() || "#1c1f2a",
    muted: style.getPropertyValue("--muted").trim() || "#5d6475",
    grid: style.getPropertyValue("--border").trim() || "#d9dce5",
  };
}

function baseOptions() {
  const theme = themeColors();
  ChartJS.defaults.color = theme.muted;
  ChartJS.defaults.font.family = getComputedStyle(document.body).fontFamily;
  return theme;
}

export default function Charts({ health, clv, thresholds, series, seriesError }: ChartsProps) {
  const theme = useMemo(baseOptions, []);
  return (
    <div className="an-charts">
      <HealthChart health={health} theme={theme} />
      <EngagementChart series={series} error={seriesError ?? null} theme={theme} />
      <ClvChart clv={clv} thresholds={thresholds} theme={theme} />
    </div>
  );
}

type Theme = ReturnType<typeof themeColors>;

function Figure({
  title,
  summary,
  children,
  table,
  wide,
}: {
  title: string;
  summary: string;
  children: ReactNode;
  table: ReactNode;
  wide?: boolean;
}) {
  const id = useId();
  return (
    <figure
      className={`card an-chart${wide ? " an-chart-wide" : ""}`}
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-summary`}
    >
      <h2 id={`${id}-title`} className="an-chart-title">
        {title}
      </h2>
      <div className="an-canvas">{children}</div>
      <figcaption id={`${id}-summary`} className="an-summary">
        {summary}
      </figcaption>
      <details className="an-data">
        <summary>Show data</summary>
        {table}
      </details>
    </figure>
  );
}

function HealthChart({ health, theme }: { health: ChartsProps["health"]; theme: Theme }) {
  const total = health.healthy + health.at_risk + health.inactive;
  const summary =
    total === 0
      ? "No contacts yet."
      : `Of ${formatInteger(total)} contacts, ${HEALTH.map((h) => `${formatInteger(health[h.key])} ${h.label.replace(/ \(.*\)$/, "").toLowerCase()} (${percentOf(health[h.key], total)})`).join(", ")}.`;
  const options: ChartOptions<"doughnut"> = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    cutout: "58%",
    plugins: {
      legend: { position: "bottom", labels: { color: theme.text, usePointStyle: true, padding: 14 } },
      tooltip: {
        callbacks: {
          label: (item: TooltipItem<"doughnut">) =>
            ` ${item.label}: ${formatInteger(Number(item.raw))} (${percentOf(Number(item.raw), total)})`,
        },
      },
    },
  };
  return (
    <Figure
      title="Relationship health"
      summary={summary}
      table={
        <table className="data-table an-table-small">
          <thead>
            <tr>
              <th scope="col">Health</th>
              <th scope="col">Contacts</th>
              <th scope="col">Share</th>
            </tr>
          </thead>
          <tbody>
            {HEALTH.map((h) => (
              <tr key={h.key}>
                <th scope="row">{h.label}</th>
                <td>{formatInteger(health[h.key])}</td>
                <td>{percentOf(health[h.key], total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    >
      <Doughnut
        aria-label={`Doughnut chart of relationship health. ${summary}`}
        options={options}
        data={{
          labels: HEALTH.map((h) => h.label),
          datasets: [
            {
              data: HEALTH.map((h) => health[h.key]),
              backgroundColor: HEALTH.map((h) => h.color),
              borderColor: "transparent",
              borderWidth: 0,
            },
          ],
        }}
      />
    </Figure>
  );
}

function EngagementChart({
  series,
  error,
  theme,
}: {
  series: ChartsProps["series"];
  error: string | null;
  theme: Theme;
}) {
  const buckets = series?.buckets ?? [];
  const weekly = series?.bucket === "week";
  // The bucket that contains now is still filling up: say so instead of letting it look like a drop.
  const now = Date.now();
  const current = (bucket: TimeBucket) =>
    bucket.startsAt.getTime() <= now && now < bucket.startsAt.getTime() + (weekly ? 7 : 1) * 86_400_000;
  const label = (bucket: TimeBucket) =>
    current(bucket)
      ? weekly
        ? "This week (so far)"
        : "Today (so far)"
      : weekly
        ? `Week of ${formatDay(bucket.startsAt)}`
        : formatDay(bucket.startsAt);
  const totals = Object.fromEntries(
    TYPES.map((type) => [type, buckets.reduce((sum, b) => sum + b[type], 0)]),
  ) as Record<InteractionType, number>;
  const total = buckets.reduce((sum, b) => sum + b.total, 0);
  const busiest = buckets.reduce<TimeBucket | null>((best, b) => (!best || b.total > best.total ? b : best), null);
  const span = buckets.length > 0 ? `${label(buckets[0]!)} to ${label(buckets[buckets.length - 1]!)}` : "";
  const summary = error
    ? `The interactions over time could not be loaded: ${error}`
    : !series
      ? "Loading interactions over time…"
      : total === 0
        ? `No interactions from ${span}.`
        : `${formatInteger(total)} interactions from ${span}: ${TYPES.filter((t) => totals[t] > 0)
            .map((t) => `${formatInteger(totals[t])} ${TYPE_LABELS[t].toLowerCase()}`)
            .join(
              ", ",
            )}. Busiest ${weekly ? "week" : "day"}: ${label(busiest!)} with ${formatInteger(busiest!.total)}.`;
  const options: ChartOptions<"line"> = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: "index", intersect: false },
    scales: {
      x: { ticks: { color: theme.muted, maxRotation: 0, autoSkipPadding: 12 }, grid: { display: false } },
      y: { beginAtZero: true, ticks: { color: theme.muted, precision: 0 }, grid: { color: theme.grid } },
    },
    plugins: {
      legend: { position: "bottom", labels: { color: theme.text, usePointStyle: true, padding: 14 } },
      tooltip: {
        callbacks: {
          footer: (items: TooltipItem<"line">[]) =>
            `Total: ${formatInteger(items.reduce((sum, item) => sum + Number(item.raw), 0))}`,
        },
      },
    },
  };
  return (
    <Figure
      wide
      title={weekly ? "Interactions by type, per week" : "Interactions by type, per day"}
      summary={summary}
      table={
        <div className="an-table-scroll">
          <table className="data-table an-table-small">
            <thead>
              <tr>
                <th scope="col">{weekly ? "Week of" : "Day"}</th>
                {TYPES.map((type) => (
                  <th key={type} scope="col">
                    {TYPE_LABELS[type]}
                  </th>
                ))}
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {buckets.map((bucket) => (
                <tr key={bucket.startsAt.getTime()}>
                  <th scope="row">{label(bucket)}</th>
                  {TYPES.map((type) => (
                    <td key={type}>{formatInteger(bucket[type])}</td>
                  ))}
                  <td>{formatInteger(bucket.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      }
    >
      <Line
        aria-label={`Line chart of interactions by type. ${summary}`}
        options={options}
        data={{
          labels: buckets.map(label),
          datasets: TYPES.map((type) => ({
            label: TYPE_LABELS[type],
            data: buckets.map((b) => b[type]),
            borderColor: TYPE_STYLE[type].color,
            backgroundColor: TYPE_STYLE[type].color,
            borderDash: TYPE_STYLE[type].dash,
            pointStyle: TYPE_STYLE[type].point,
            pointRadius: buckets.length > 60 ? 0 : 3,
            borderWidth: 2,
            tension: 0.25,
          })),
        }}
      />
    </Figure>
  );
}

function ClvChart({
  clv,
  thresholds,
  theme,
}: {
  clv: ChartsProps["clv"];
  thresholds: ChartsProps["thresholds"];
  theme: Theme;
}) {
  const total = clv.low + clv.medium + clv.high;
  const labels = [
    `Low (under ${formatMoneyShort(thresholds.medium)})`,
    `Medium (${formatMoneyShort(thresholds.medium)}–${formatMoneyShort(thresholds.high)})`,
    `High (${formatMoneyShort(thresholds.high)} and up)`,
  ];
  const counts = [clv.low, clv.medium, clv.high];
  const summary =
    total === 0
      ? "No contacts yet."
      : `CLV of ${formatInteger(total)} contacts: ${labels.map((l, i) => `${formatInteger(counts[i]!)} ${l.toLowerCase()}`).join(", ")}.`;
  const options: ChartOptions<"bar"> = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    scales: {
      x: { ticks: { color: theme.muted }, grid: { display: false } },
      y: {
        beginAtZero: true,
        ticks: { color: theme.muted, precision: 0 },
        grid: { color: theme.grid },
        title: { display: true, text: "Contacts", color: theme.muted },
      },
    },
    plugins: {
      legend: { display: false },
      tooltip: {
        callbacks: {
          label: (item: TooltipItem<"bar">) =>
            ` ${formatInteger(Number(item.raw))} contacts (${percentOf(Number(item.raw), total)})`,
        },
      },
    },
  };
  return (
    <Figure
      title="CLV distribution"
      summary={summary}
      table={
        <table className="data-table an-table-small">
          <thead>
            <tr>
              <th scope="col">CLV</th>
              <th scope="col">Contacts</th>
              <th scope="col">Share</th>
            </tr>
          </thead>
          <tbody>
            {labels.map((l, i) => (
              <tr key={l}>
                <th scope="row">{l}</th>
                <td>{formatInteger(counts[i]!)}</td>
                <td>{percentOf(counts[i]!, total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    >
      <Bar
        aria-label={`Bar chart of the CLV distribution. ${summary}`}
        options={options}
        data={{
          labels: ["Low", "Medium", "High"],
          datasets: [{ label: "Contacts", data: counts, backgroundColor: CLV_COLORS, borderRadius: 4 }],
        }}
      />
    </Figure>
  );
}
