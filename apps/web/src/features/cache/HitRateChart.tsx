/**
 * The hit-rate line chart. Its own chunk (CachePage loads it with lazy()), so
 * chart.js never weighs on the first route's JavaScript. Only the pieces a
 * line chart needs are registered, which keeps the chunk tree-shaken.
 */
import {
  CategoryScale,
  Chart as ChartJS,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartData,
  type ChartOptions,
} from "chart.js";
import { Component, type ReactNode } from "react";
import { Line } from "react-chartjs-2";

ChartJS.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Filler, Tooltip);

export interface ChartPoint {
  /** Axis label, e.g. "14:05". */
  label: string;
  /** Hit rate in percent; null where there were no lookups (a gap in the line). */
  value: number | null;
}

export interface HitRateChartProps {
  points: ChartPoint[];
  /** The canvas's accessible name (a short summary of what it shows). */
  label: string;
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

function isolated(points: ChartPoint[], i: number): boolean {
  return (points[i - 1]?.value ?? null) === null && (points[i + 1]?.value ?? null) === null;
}

/** "#4338ca" → "#4338ca26" (15% opacity) for the area under the line. */
function translucent(hex: string): string {
  return /^#[0-9a-f]{6}$/i.test(hex) ? `${hex}26` : "rgba(67, 56, 202, 0.15)";
}

/** Canvas 2D can be missing (old or locked-down browsers, canvas-blocking extensions). Checked once. */
let canvasSupport: boolean | undefined;
function canvasWorks(): boolean {
  if (canvasSupport === undefined) {
    try {
      canvasSupport = document.createElement("canvas").getContext("2d") !== null;
    } catch {
      canvasSupport = false;
    }
  }
  return canvasSupport;
}

const NO_CHART = "The chart cannot be drawn in this browser; the numbers are under “Show the numbers”.";

/** A chart that fails to draw leaves a note, never a broken page. */
class ChartBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    return this.state.failed ? <p className="muted small">{NO_CHART}</p> : this.props.children;
  }
}

export default function HitRateChart(props: HitRateChartProps) {
  if (!canvasWorks()) return <p className="muted small">{NO_CHART}</p>;
  return (
    <ChartBoundary>
      <LineChart {...props} />
    </ChartBoundary>
  );
}

function LineChart({ points, label }: HitRateChartProps) {
  const accent = cssVar("--accent", "#4338ca");
  const muted = cssVar("--muted", "#5d6475");
  const border = cssVar("--border", "#d9dce5");

  const data: ChartData<"line", (number | null)[], string> = {
    labels: points.map((point) => point.label),
    datasets: [
      {
        label: "Hit rate",
        data: points.map((point) => point.value),
        borderColor: accent,
        backgroundColor: translucent(accent),
        fill: "origin",
        borderWidth: 2,
        tension: 0.25,
        // Dense series draw a line without dots, but a minute with lookups between two
        // minutes without any has no line to be part of: it gets a dot, or it would not show.
        pointRadius: points.map((point, i) =>
          point.value === null ? 0 : points.length <= 40 || isolated(points, i) ? 3 : 0,
        ),
        pointHoverRadius: 4,
        spanGaps: false,
      },
    ],
  };

  const options: ChartOptions<"line"> = {
    responsive: true,
    maintainAspectRatio: false,
    // Redrawn on every poll: no animation (and nothing moving for people who prefer less motion).
    animation: false,
    interaction: { mode: "index", intersect: false },
    scales: {
      y: {
        min: 0,
        max: 100,
        ticks: { color: muted, stepSize: 25, callback: (value) => `${value}%` },
        grid: { color: border },
      },
      x: {
        ticks: { color: muted, maxTicksLimit: 8, maxRotation: 0, autoSkip: true },
        grid: { display: false },
      },
    },
    plugins: {
      legend: { display: false },
      tooltip: {
        callbacks: {
          label: (item) => (item.parsed.y === null ? "no lookups" : `Hit rate ${item.parsed.y.toFixed(1)}%`),
        },
      },
    },
  };

  return (
    <div className="cache-chart">
      <Line data={data} options={options} role="img" aria-label={label} />
    </div>
  );
}
