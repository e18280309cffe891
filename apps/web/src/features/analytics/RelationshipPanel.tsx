/**
 * "Relationship" on a contact page: the contact's health with the recency and frequency
 * parts it averages, CLV, last contact and interaction counts (analytics.contactRelationship,
 * the same definitions as the Analytics page).
 */
import { lazy, Suspense, useId } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { dateFormat, formatAbsolute, formatRelative } from "../../components/time";
import { trpc, type RouterOutputs } from "../../trpc";
import { formatInteger, formatMoney, formatNumber } from "./format";
import "./relationship.css";
import { Skeleton } from "../../components/Skeleton";

type Relationship = RouterOutputs["analytics"]["contactRelationship"];

const EmailsChart = lazy(() => import("./EmailsChart"));
const monthFormat = new Intl.DateTimeFormat(undefined, { month: "short", year: "numeric", timeZone: "UTC" });

const HEALTH_LABELS: Record<Relationship["health"]["bucket"], string> = {
  healthy: "Healthy",
  at_risk: "At risk",
  inactive: "Inactive",
};
const CLV_LABELS: Record<Relationship["clv"]["bucket"], string> = { low: "low", medium: "medium", high: "high" };

export interface RelationshipPanelProps {
  workspaceId: string;
  contactId: string;
}

export function RelationshipPanel({ workspaceId, contactId }: RelationshipPanelProps) {
  const id = useId();
  const query = trpc.analytics.contactRelationship.useQuery({ workspaceId, contactId });
  const data = query.data;
  return (
    <section className="card rel-panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Relationship</h2>
      {query.isPending ? (
        <Skeleton shape="figures" rows={4} label="Loading relationship…" />
      ) : !data ? (
        <ErrorMessage
          error={query.error}
          title="Could not load the relationship figures"
          onRetry={() => void query.refetch()}
        />
      ) : (
        <RelationshipFigures data={data} />
      )}
      <EmailFigures workspaceId={workspaceId} contactId={contactId} />
    </section>
  );
}

function RelationshipFigures({ data }: { data: Relationship }) {
  const { health, clv } = data;
  return (
    <dl className="rel-figures">
      <div className="rel-health">
        <dt>Health</dt>
        <dd>
          <span className={`rel-score rel-${health.bucket}`}>{formatNumber(health.score)}</span>{" "}
          <span className="rel-bucket">{HEALTH_LABELS[health.bucket]}</span>
          <ul className="rel-parts" aria-label="Health is the average of">
            <Part label="Recency" value={health.recency} hint="how recently you were in touch" />
            <Part label="Frequency" value={health.frequency} hint="interactions a month over 90 days" />
          </ul>
        </dd>
      </div>
      <div>
        <dt>CLV</dt>
        <dd>
          {formatMoney(clv.value)} <span className="rel-bucket">({CLV_LABELS[clv.bucket]})</span>
        </dd>
      </div>
      <div>
        <dt>Last contact</dt>
        <dd>
          {data.lastContactAt ? (
            <time dateTime={data.lastContactAt.toISOString()} title={formatAbsolute(data.lastContactAt)}>
              {dateFormat.format(data.lastContactAt)} ({formatRelative(data.lastContactAt, data.asOf.getTime())})
            </time>
          ) : (
            "Never"
          )}
        </dd>
      </div>
      <div>
        <dt>Interactions</dt>
        <dd>
          {formatInteger(data.interactions)}{" "}
          <span className="rel-bucket">({formatInteger(data.interactions90d)} in the last 90 days)</span>
        </dd>
      </div>
    </dl>
  );
}

/** Imported Gmail figures (gmail.contactInsights): shown once any email with the contact was imported. */
function EmailFigures({ workspaceId, contactId }: RelationshipPanelProps) {
  const id = useId();
  const query = trpc.gmail.contactInsights.useQuery({ workspaceId, contactId });
  const data = query.data;
  if (query.error)
    return (
      <ErrorMessage error={query.error} title="Could not load the email figures" onRetry={() => void query.refetch()} />
    );
  if (!data || data.totalEmails === 0) return null;
  const months = data.emailsPerMonth.map((m) => ({
    label: monthFormat.format(new Date(`${m.month}-01T00:00:00Z`)),
    count: m.count,
  }));
  const inWindow = months.reduce((sum, m) => sum + m.count, 0);
  const summary =
    months.length === 0
      ? "No months to show."
      : `${formatInteger(inWindow)} emails in the last 90 days: ${months
          .map((m) => `${m.label} ${formatInteger(m.count)}`)
          .join(", ")}.`;
  return (
    <div className="rel-emails" aria-labelledby={`${id}-title`} role="group">
      <h3 id={`${id}-title`}>Email</h3>
      <dl className="rel-figures">
        <div>
          <dt>Total emails</dt>
          <dd>{formatInteger(data.totalEmails)}</dd>
        </div>
        <div>
          <dt>Most recent subject</dt>
          <dd className="truncate" title={data.lastSubject ?? undefined}>
            {data.lastSubject ?? "(no subject)"}
            {data.lastEmailAt && (
              <>
                {" "}
                <time dateTime={data.lastEmailAt.toISOString()} className="rel-bucket">
                  ({dateFormat.format(data.lastEmailAt)})
                </time>
              </>
            )}
          </dd>
        </div>
      </dl>
      <figure className="rel-emails-chart" aria-describedby={`${id}-summary`}>
        <figcaption id={`${id}-summary`}>Emails per month, last 90 days. {summary}</figcaption>
        <div className="rel-emails-canvas">
          <Suspense fallback={<Skeleton shape="chart" label="Loading chart…" />}>
            <EmailsChart months={months} summary={summary} />
          </Suspense>
        </div>
      </figure>
    </div>
  );
}

function Part({ label, value, hint }: { label: string; value: number; hint: string }) {
  return (
    <li className="rel-part">
      <span className="rel-part-label" title={hint}>
        {label}
      </span>
      <span className="rel-bar" aria-hidden="true">
        <span className="rel-bar-fill" style={{ width: `${value}%` }} />
      </span>
      <span className="rel-part-value">{value} / 100</span>
    </li>
  );
}
