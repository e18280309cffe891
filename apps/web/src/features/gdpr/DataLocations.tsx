import { useId, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { trpc, type RouterOutputs } from "../../trpc";
import { humanize } from "./format";
import { Skeleton } from "../../components/Skeleton";
import { TableScroll } from "../../components/TableScroll";

type Locations = RouterOutputs["gdpr"]["dataLocations"];

const STORE_LABELS: Record<string, string> = {
  postgres: "PostgreSQL",
  pglite: "Embedded PostgreSQL (PGlite)",
  redis: "Redis",
};

function formatRetentionDays(days: number): string {
  if (days % 365 === 0) return `${days / 365} year${days === 365 ? "" : "s"}`;
  // 2555 days is how "7 years" is configured.
  if (days >= 365) return `about ${Math.round(days / 365)} years (${days} days)`;
  return `${days} days`;
}

/**
 * "Where my data lives" (gdpr.dataLocations): the database and its region,
 * the cache, backups, processors, how long each kind of data is kept and, one
 * level deeper, every table holding personal data. Loaded when first opened.
 */
export function DataLocations() {
  const id = useId();
  const [opened, setOpened] = useState(false);
  const locations = trpc.gdpr.dataLocations.useQuery(undefined, { enabled: opened, staleTime: 10 * 60_000 });

  return (
    <section className="card pv-locations" aria-labelledby={`${id}-title`}>
      <details onToggle={(event) => event.currentTarget.open && setOpened(true)}>
        <summary>
          <h2 id={`${id}-title`} className="pv-summary-title">
            Where my data lives
          </h2>
          <span className="small muted pv-summary-hint">
            Storage, region, processors and how long each kind of data is kept
          </span>
        </summary>
        <div className="pv-details-body stack">
          {locations.isPending ? (
            <Skeleton shape="text" rows={3} label="Loading…" />
          ) : !locations.data ? (
            <ErrorMessage
              error={locations.error}
              title="Could not load where your data lives"
              onRetry={() => void locations.refetch()}
            />
          ) : (
            <LocationDetails data={locations.data} />
          )}
        </div>
      </details>
    </section>
  );
}

function LocationDetails({ data }: { data: Locations }) {
  const retention = Object.entries(data.retentionByCategory);
  return (
    <>
      <dl className="pv-facts">
        <div>
          <dt>Database</dt>
          <dd>
            {STORE_LABELS[data.primary.kind] ?? data.primary.kind} · region <strong>{data.primary.region}</strong>
            <span className="block small muted">Host: {data.primary.host}</span>
          </dd>
        </div>
        <div>
          <dt>Cache</dt>
          <dd>
            {data.cache
              ? `${STORE_LABELS[data.cache.kind] ?? data.cache.kind}: ${data.cache.note}`
              : "None (everything is read from the database)"}
          </dd>
        </div>
        <div>
          <dt>Backups</dt>
          <dd>{data.backups.note}</dd>
        </div>
        <div>
          <dt>Audit log kept for</dt>
          <dd>{formatRetentionDays(data.auditRetentionDays)}</dd>
        </div>
      </dl>

      <div className="stack-sm">
        <h3 className="pv-h3">Processors</h3>
        {data.processors.length === 0 ? (
          <p className="muted">No outside processors.</p>
        ) : (
          <ul className="pv-plain-list">
            {data.processors.map((processor) => (
              <li key={processor.name}>
                <strong>{processor.name}</strong>: {processor.purpose} <span className="muted">({processor.when})</span>
              </li>
            ))}
          </ul>
        )}
      </div>

      <div className="stack-sm">
        <h3 className="pv-h3">How long each kind of data is kept</h3>
        <dl className="pv-retention">
          {retention.map(([category, periods]) => (
            <div key={category}>
              <dt>{humanize(category)}</dt>
              <dd>{periods.join("; ")}</dd>
            </div>
          ))}
        </dl>
      </div>

      <details className="pv-tables">
        <summary>Every table that holds personal data ({data.tables.length})</summary>
        <TableScroll tabIndex={0} role="region" aria-label="Tables holding personal data">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Table</th>
                <th scope="col">About</th>
                <th scope="col">Purpose</th>
                <th scope="col">Kept</th>
              </tr>
            </thead>
            <tbody>
              {data.tables.map((table) => (
                <tr key={table.table}>
                  <td>
                    <code>{table.table}</code>
                  </td>
                  <td>{table.subject}</td>
                  <td>{table.purpose}</td>
                  <td>{table.retention}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      </details>
    </>
  );
}
