import { keepPreviousData, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useId, useMemo, useState, type FormEvent, type ReactNode } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useNow } from "../../components/hooks";
import { Empty, Loading } from "../../components/Status";
import { formatAbsolute, formatRelative } from "../../components/time";
import { describeError } from "../../errors";
import { Link, navigate, paths, useSearchParams } from "../../router";
import { trpc, type RouterOutputs } from "../../trpc";
import { canManage } from "../shell/workspace";
import "./analytics.css";
import { ChartsBoundary } from "./ChartsBoundary";
import { describeChange, formatDateTime, formatInteger, formatMoney, formatMoneyShort, formatNumber, type Direction } from "./format";
import { asOfOf, dayOf, metricsInput, RANGES, searchOf, timeseriesInput, topInput, viewFromSearch, type RangeDays, type TopSort, type ViewParams } from "./params";
import type { AnalyticsPageProps } from "./index";

const Charts = lazy(() => import("./Charts"));

type Metrics = RouterOutputs["analytics"]["metrics"];
type TopContact = RouterOutputs["analytics"]["topContacts"]["items"][number];
interface TopQuery {
  data: RouterOutputs["analytics"]["topContacts"] | undefined;
  isPending: boolean;
  isFetching: boolean;
  error: unknown;
  refetch: () => Promise<unknown>;
}

const RANGE_LABELS: Record<RangeDays, string> = { 30: "Last 30 days", 90: "Last 90 days", 365: "Last 12 months" };
const SORT_LABELS: Record<TopSort, string> = { clv: "CLV", interactions: "interactions", recency: "last contact", health: "health" };
const TREND_LABELS = { improving: "Improving", declining: "Declining", stable: "Stable" } as const;

export default function AnalyticsPage({ workspaceId, role }: AnalyticsPageProps) {
  const search = useSearchParams().toString();
  const view = useMemo(() => viewFromSearch(search), [search]);
  const setView = (next: Partial<ViewParams>) => navigate(`${paths.analytics(workspaceId)}${searchOf({ ...view, ...next })}`, { replace: true });

  const metrics = trpc.analytics.metrics.useQuery(metricsInput(workspaceId, view), { placeholderData: keepPreviousData, staleTime: 60_000 });
  const top = trpc.analytics.topContacts.useQuery(topInput(workspaceId, view), { placeholderData: keepPreviousData, staleTime: 60_000 });
  // Recomputed when the view changes; `from` moves once a day.
  const seriesInput = useMemo(() => timeseriesInput(workspaceId, view), [workspaceId, view]);
  const series = trpc.analytics.timeseries.useQuery(seriesInput, { placeholderData: keepPreviousData, staleTime: 60_000 });

  const ready = Boolean(metrics.data && series.data && top.data);
  return (
    <div className="an-page" data-analytics-state={ready ? "ready" : "loading"} aria-busy={metrics.isFetching || series.isFetching || top.isFetching}>
      <div className="an-head">
        <div>
          <h1>Analytics</h1>
          {metrics.data && (
            <p className="muted small an-asof">
              As of <time dateTime={metrics.data.asOf.toISOString()}>{formatDateTime(metrics.data.asOf)}</time>
              {view.asOfDay ? " (end of the chosen day)" : ""}
              {metrics.data.cached ? ` · computed ${formatDateTime(metrics.data.computedAt)}` : ""}
            </p>
          )}
        </div>
        <ViewControls view={view} onChange={setView} />
      </div>

      {metrics.isPending ? (
        <Loading>Loading analytics…</Loading>
      ) : metrics.error && !metrics.data ? (
        <ErrorMessage error={metrics.error} title="Could not load the analytics" onRetry={() => void metrics.refetch()} />
      ) : metrics.data && metrics.data.contacts === 0 ? (
        <Empty>
          <p>
            <strong>No contacts yet</strong>
            {view.asOfDay ? " as of this day." : "."} Analytics appear once the workspace has contacts and interactions.
          </p>
          <p>
            <Link href={paths.contacts(workspaceId)}>Go to contacts</Link>
          </p>
        </Empty>
      ) : metrics.data ? (
        <>
          <KeyFigures metrics={metrics.data} />
          <ChartsBoundary>
            <Suspense fallback={<Loading>Loading charts…</Loading>}>
              <Charts
                health={metrics.data.health.distribution}
                clv={metrics.data.clv.distribution}
                thresholds={metrics.data.settings.thresholds}
                series={series.data ? { buckets: series.data.buckets, bucket: series.data.bucket } : null}
                seriesError={series.error && !series.data ? describeError(series.error).message : null}
              />
            </Suspense>
          </ChartsBoundary>
          <TopContacts workspaceId={workspaceId} view={view} top={top} onSort={(sort) => setView({ sort })} />
        </>
      ) : null}

      {metrics.data && canManage(role) && <ValuesForm workspaceId={workspaceId} settings={metrics.data.settings} />}
    </div>
  );
}

// ---------------------------------------------------------------- controls

function ViewControls({ view, onChange }: { view: ViewParams; onChange: (next: Partial<ViewParams>) => void }) {
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
            onChange={(event) => onChange({ asOfDay: event.target.value && event.target.value < today ? event.target.value : null })}
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
        <select id={`${id}-range`} value={view.range} onChange={(event) => onChange({ range: Number(event.target.value) as RangeDays })}>
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

// ---------------------------------------------------------------- KPI cards

function KeyFigures({ metrics }: { metrics: Metrics }) {
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
          change={describeChange(engagement.contactedContacts, hadContacts ? previous.contactedContacts : null, formatInteger)}
          note={`${formatInteger(engagement.inactiveContacts)} with nothing in 90 days`}
        />
        <Kpi
          label="Interactions (30 days)"
          value={formatInteger(engagement.interactions30d)}
          change={describeChange(engagement.interactions30d, hadContacts ? previous.interactions30d : null, formatInteger)}
          note={`${formatNumber(engagement.avgInteractionsPerContact)} per contact overall · ${formatInteger(engagement.newContacts30d)} new contacts`}
        />
      </div>
    </section>
  );
}

function Kpi({ label, value, change, note }: { label: string; value: ReactNode; change: { text: string; direction: Direction }; note: string }) {
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

// ---------------------------------------------------------------- top contacts

const HEALTH_WORD = (health: number) => (health >= 70 ? "healthy" : health >= 40 ? "at risk" : "inactive");

function TopContacts({
  workspaceId,
  view,
  top,
  onSort,
}: {
  workspaceId: string;
  view: ViewParams;
  top: TopQuery;
  onSort: (sort: TopSort) => void;
}) {
  const id = useId();
  const now = useNow(60_000);
  const rows = top.data?.items ?? [];
  const sortHeader = (sort: TopSort, label: string, className?: string) => (
    <th scope="col" className={className} aria-sort={view.sort === sort ? "descending" : undefined}>
      <button type="button" className="an-sort" onClick={() => onSort(sort)} aria-pressed={view.sort === sort}>
        {label}
        <span aria-hidden="true" className="an-sort-mark">
          {view.sort === sort ? " ▼" : " ↕"}
        </span>
      </button>
    </th>
  );
  return (
    <section aria-labelledby={`${id}-title`} className="stack">
      <div className="an-section-head">
        <h2 id={`${id}-title`}>Top contacts</h2>
        <ExportButtons workspaceId={workspaceId} view={view} />
      </div>
      <p className="hint">
        Sorted by {SORT_LABELS[view.sort]}, best first{rows.length > 0 ? ` (top ${rows.length})` : ""}. Choose a column heading to sort by it.
      </p>
      {top.error && !top.data ? (
        <ErrorMessage error={top.error} title="Could not load the top contacts" onRetry={() => void top.refetch()} />
      ) : (
        <div className="table-wrap">
          <table className="data-table an-top" aria-labelledby={`${id}-title`} aria-busy={top.isFetching}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="hide-sm">
                  Company
                </th>
                {sortHeader("clv", "CLV", "an-num")}
                {sortHeader("health", "Health", "an-num")}
                {sortHeader("recency", "Last contact")}
                {sortHeader("interactions", "Interactions", "an-num")}
              </tr>
            </thead>
            <tbody>
              {top.isPending ? (
                <tr>
                  <td colSpan={6}>
                    <Loading>Loading top contacts…</Loading>
                  </td>
                </tr>
              ) : (
                rows.map((contact: TopContact) => (
                  <tr key={contact.id}>
                    <th scope="row" className="an-name">
                      <Link href={paths.contact(workspaceId, contact.id)}>{contact.name}</Link>
                      {contact.email && <span className="muted small truncate an-email">{contact.email}</span>}
                    </th>
                    <td className="hide-sm truncate">{contact.company ?? "—"}</td>
                    <td className="an-num">{formatMoney(contact.clv)}</td>
                    <td className="an-num">
                      {formatNumber(contact.health)} <span className="muted small">{HEALTH_WORD(contact.health)}</span>
                    </td>
                    <td>
                      {contact.lastContactAt ? (
                        <time dateTime={contact.lastContactAt.toISOString()} title={formatAbsolute(contact.lastContactAt)}>
                          {formatRelative(contact.lastContactAt, now)}
                        </time>
                      ) : (
                        <span className="muted">Never</span>
                      )}
                    </td>
                    <td className="an-num">{formatInteger(contact.interactionCount)}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

// ---------------------------------------------------------------- export

function ExportButtons({ workspaceId, view }: { workspaceId: string; view: ViewParams }) {
  const exportLink = trpc.analytics.export.useMutation();
  const [started, setStarted] = useState<string | null>(null);
  const download = async (format: "csv" | "xlsx") => {
    setStarted(null);
    const link = await exportLink.mutateAsync({ workspaceId, format, sortBy: view.sort, asOf: asOfOf(view) });
    // The link is signed and short-lived; the browser downloads it natively (streamed to disk).
    const anchor = document.createElement("a");
    anchor.href = link.url;
    anchor.download = link.filename;
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    setStarted(`Download started: ${link.filename} (every contact, sorted by ${SORT_LABELS[view.sort]}).`);
  };
  return (
    <div className="an-export">
      <div className="button-row">
        <button type="button" className="button-secondary button-small" disabled={exportLink.isPending} onClick={() => void download("csv").catch(() => {})}>
          Export CSV
        </button>
        <button type="button" className="button-secondary button-small" disabled={exportLink.isPending} onClick={() => void download("xlsx").catch(() => {})}>
          Export Excel
        </button>
      </div>
      <p role="status" className="muted small an-export-status">
        {exportLink.isPending ? "Preparing the export…" : started}
      </p>
      {exportLink.error && <ErrorMessage error={exportLink.error} title="Could not start the export" />}
    </div>
  );
}

// ---------------------------------------------------------------- values (owners/admins)

const VALUE_FIELDS = [
  ["email", "Email"],
  ["meeting", "Meeting"],
  ["call", "Call"],
  ["linkedin", "LinkedIn"],
  ["note", "Note"],
] as const;

function ValuesForm({ workspaceId, settings }: { workspaceId: string; settings: Metrics["settings"] }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Record<string, string> | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const current: Record<string, string> = {
    ...Object.fromEntries(VALUE_FIELDS.map(([key]) => [key, String(settings.values[key])])),
    medium: String(settings.thresholds.medium),
    high: String(settings.thresholds.high),
  };
  const values = draft ?? current;
  const setValues = trpc.analytics.setValues.useMutation({
    onSuccess: async (result) => {
      setDraft(null);
      setSaved(`Saved (revision ${result.revision}). The figures above use the new values.`);
      await queryClient.invalidateQueries({ queryKey: [["analytics"]] });
    },
  });
  const issues = setValues.error ? describeError(setValues.error).issues : [];
  const fieldError = (path: string[]) => issues.find((issue) => issue.path.join(".") === path.join("."))?.message;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    const number = (key: string) => Number(values[key]);
    setValues.mutate({
      workspaceId,
      values: Object.fromEntries(VALUE_FIELDS.map(([key]) => [key, number(key)])) as Record<(typeof VALUE_FIELDS)[number][0], number>,
      thresholds: { medium: number("medium"), high: number("high") },
    });
  };

  const input = (key: string, label: string, path: string[]) => {
    const error = fieldError(path);
    return (
      <div className="field" key={key}>
        <label htmlFor={`${id}-${key}`}>{label}</label>
        <input
          id={`${id}-${key}`}
          type="number"
          inputMode="decimal"
          min={0}
          step={0.01}
          required
          value={values[key]}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-${key}-error` : undefined}
          onChange={(event) => setDraft({ ...values, [key]: event.target.value })}
        />
        {error && (
          <p className="field-error" id={`${id}-${key}-error`}>
            {error}
          </p>
        )}
      </div>
    );
  };

  return (
    <details className="card an-values">
      <summary>Interaction values</summary>
      <form onSubmit={submit} className="stack" aria-labelledby={`${id}-legend`}>
        <p className="hint" id={`${id}-legend`}>
          What one interaction of each type is worth (dollars), and where the CLV buckets start. Owners and admins only; applies to every figure at once.
        </p>
        <fieldset className="an-values-grid">
          <legend>Value per interaction</legend>
          {VALUE_FIELDS.map(([key, label]) => input(key, label, ["values", key]))}
        </fieldset>
        <fieldset className="an-values-grid">
          <legend>CLV buckets</legend>
          {input("medium", "Medium from", ["thresholds", "medium"])}
          {input("high", "High from", ["thresholds", "high"])}
        </fieldset>
        {setValues.error && <ErrorMessage error={setValues.error} title="Could not save the values" />}
        <div className="button-row">
          <button type="submit" disabled={setValues.isPending}>
            {setValues.isPending ? "Saving…" : "Save values"}
          </button>
          <button type="button" className="button-secondary" disabled={setValues.isPending} onClick={() => setValues.mutate({ workspaceId, reset: true })}>
            Reset to defaults
          </button>
        </div>
        <p role="status" className="muted small">
          {saved}
        </p>
      </form>
    </details>
  );
}
