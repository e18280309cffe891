import { Link } from "@tanstack/react-router";
import { useId, useMemo, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Skeleton } from "../../components/Skeleton";
import { useNow } from "../../components/hooks";
import { trpc, type RouterOutputs } from "../../trpc";
// Activity feature: the same sentences as the feed ("Ana logged a call with a contact").
import { ActivityEntry } from "../activity/ActivityPage";
import { formatInteger, formatNumber } from "../analytics/format";
import { useWorkspace } from "../shell/workspace";
import { FollowUpDialog } from "../tasks/FollowUpDialog";
import { TaskList } from "../tasks/TaskList";
import { FirstRunChecklist } from "./FirstRun";
import { dueTasksInput, healthInput, recentActivityInput, reconnectInput } from "./params";
import { ReconnectList } from "./ReconnectList";
import "../contacts/contacts.css";
import "../tasks/tasks.css";
import "./today.css";

// Until live updates reach it, Today is asked again whenever the window comes back into focus,
// and whenever the person comes back to it (the wrapper's prefetch, moments before, still counts).
const FOCUS = { refetchOnWindowFocus: true, staleTime: 2_000 } as const;

/**
 * /w/:ws/today, a workspace's home: my overdue and due-today follow-ups, whom to
 * reconnect with (and why), what happened lately and the workspace's health.
 * `data-testid="today-ready"` marks the page once all of it has loaded (pnpm bench:today waits for it).
 */
export default function TodayPage() {
  const workspace = useWorkspace();
  const workspaceId = workspace.id;
  const id = useId();
  const now = useNow(60_000);
  const [creating, setCreating] = useState(false);
  const overdue = trpc.tasks.list.useQuery(dueTasksInput(workspaceId, "overdue"), FOCUS);
  const today = trpc.tasks.list.useQuery(dueTasksInput(workspaceId, "today"), FOCUS);
  const reconnect = trpc.reconnect.list.useQuery(reconnectInput(workspaceId), FOCUS);
  // The side column's queries too (the same cache entries its sections read): "ready" means everything is shown.
  const activity = trpc.activity.list.useQuery(recentActivityInput(workspaceId), FOCUS);
  const health = trpc.analytics.metrics.useQuery(healthInput(workspaceId), FOCUS);
  const ready = [overdue, today, reconnect, activity, health].every((query) => !query.isPending);

  const due = [...(overdue.data?.items ?? []), ...(today.data?.items ?? [])];
  const dueError = overdue.error ?? today.error;
  const more = Boolean(overdue.data?.nextCursor || today.data?.nextCursor);

  return (
    <div className="td-page" data-testid={ready ? "today-ready" : undefined}>
      <div className="page-head">
        <h1>Today</h1>
        <button type="button" onClick={() => setCreating(true)}>
          New follow-up
        </button>
      </div>
      <FirstRunChecklist workspace={workspace} />
      <div className="td-grid">
        <div className="td-main">
          <section className="card stack-sm" aria-labelledby={`${id}-due`}>
            <div className="td-section-head">
              <h2 id={`${id}-due`}>Follow-ups due</h2>
              <Link to="/w/$workspaceId/tasks" params={{ workspaceId }} className="small">
                All follow-ups
              </Link>
            </div>
            {overdue.isPending || today.isPending ? (
              <Skeleton shape="list" rows={2} label="Loading follow-ups…" />
            ) : dueError && due.length === 0 ? (
              <ErrorMessage
                error={dueError}
                title="Could not load your follow-ups"
                onRetry={() => {
                  void overdue.refetch();
                  void today.refetch();
                }}
              />
            ) : due.length === 0 ? (
              <p className="empty">Nothing overdue or due today.</p>
            ) : (
              <>
                <TaskList workspaceId={workspaceId} tasks={due} label="Overdue and due today" now={now} />
                {more && (
                  <Link to="/w/$workspaceId/tasks" params={{ workspaceId }} className="small">
                    More on the Follow-ups page
                  </Link>
                )}
              </>
            )}
          </section>
          <section className="card stack-sm" aria-labelledby={`${id}-reconnect`}>
            <div className="td-section-head">
              <h2 id={`${id}-reconnect`}>Reconnect</h2>
              <span className="muted small">Going cold, most valuable first</span>
            </div>
            <ReconnectList workspaceId={workspaceId} query={reconnect} />
          </section>
        </div>
        <div className="td-side">
          <HealthGlance workspaceId={workspaceId} />
          <RecentActivity workspaceId={workspaceId} now={now} />
        </div>
      </div>
      {creating && <FollowUpDialog workspaceId={workspaceId} onClose={() => setCreating(false)} />}
    </div>
  );
}

type Metrics = RouterOutputs["analytics"]["metrics"];

const HEALTH = [
  { key: "healthy", label: "Healthy" },
  { key: "at_risk", label: "At risk" },
  { key: "inactive", label: "Inactive" },
] as const;

/** The workspace's relationship health in one bar (healthy / at risk / inactive) and its average. */
function HealthGlance({ workspaceId }: { workspaceId: string }) {
  const id = useId();
  const metrics = trpc.analytics.metrics.useQuery(healthInput(workspaceId), FOCUS);
  return (
    <section className="card stack-sm" aria-labelledby={`${id}-title`}>
      <div className="td-section-head">
        <h2 id={`${id}-title`}>Health</h2>
        <Link to="/w/$workspaceId/analytics" params={{ workspaceId }} className="small">
          Analytics
        </Link>
      </div>
      {metrics.isPending ? (
        <Skeleton shape="figures" rows={1} label="Loading the figures…" />
      ) : metrics.error ? (
        <ErrorMessage error={metrics.error} title="Could not load the figures" onRetry={() => void metrics.refetch()} />
      ) : (
        <HealthBar metrics={metrics.data} />
      )}
    </section>
  );
}

function HealthBar({ metrics }: { metrics: Metrics }) {
  const { distribution, average, trend } = metrics.health;
  const total = distribution.healthy + distribution.at_risk + distribution.inactive;
  if (total === 0) return <p className="muted">No contacts yet.</p>;
  const share = (count: number) => `${Math.round((count / total) * 100)}%`;
  const summary = HEALTH.map((part) => `${formatInteger(distribution[part.key])} ${part.label.toLowerCase()}`).join(
    ", ",
  );
  return (
    <>
      <p className="td-health-average">
        <strong>{formatNumber(average)}</strong>
        <span className="muted"> / 100 average</span>
        {trend.delta !== null && (
          <span className="muted small">
            {" "}
            ({trend.delta >= 0 ? "+" : "−"}
            {formatNumber(Math.abs(trend.delta))} in 30 days)
          </span>
        )}
      </p>
      <div
        className="td-health-bar"
        role="img"
        aria-label={`Relationship health of ${formatInteger(total)} contacts: ${summary}`}
      >
        {HEALTH.map((part) =>
          distribution[part.key] > 0 ? (
            <span key={part.key} className={`td-health-${part.key}`} style={{ width: share(distribution[part.key]) }} />
          ) : null,
        )}
      </div>
      <ul className="td-health-legend small" aria-hidden="true">
        {HEALTH.map((part) => (
          <li key={part.key}>
            <span className={`td-swatch td-health-${part.key}`} />
            {part.label} {formatInteger(distribution[part.key])}
          </li>
        ))}
      </ul>
    </>
  );
}

/** The last few events of the workspace, in the activity feed's words. */
function RecentActivity({ workspaceId, now }: { workspaceId: string; now: number }) {
  const id = useId();
  const feed = trpc.activity.list.useQuery(recentActivityInput(workspaceId), FOCUS);
  const members = trpc.workspaces.members.useQuery({ workspaceId }, { staleTime: 60_000 });
  const names = useMemo(
    () => new Map((members.data ?? []).map((member) => [member.userId, member.name])),
    [members.data],
  );
  const events = feed.data?.items ?? [];
  return (
    <section className="card stack-sm" aria-labelledby={`${id}-title`}>
      <div className="td-section-head">
        <h2 id={`${id}-title`}>Recent activity</h2>
        <Link to="/w/$workspaceId/activity" params={{ workspaceId }} className="small">
          All activity
        </Link>
      </div>
      {feed.isPending ? (
        <Skeleton shape="list" rows={4} label="Loading the activity…" />
      ) : feed.error ? (
        <ErrorMessage error={feed.error} title="Could not load the activity" onRetry={() => void feed.refetch()} />
      ) : events.length === 0 ? (
        <p className="muted">Nothing has happened here yet.</p>
      ) : (
        <ol className="td-activity" aria-label="Recent activity">
          {events.map((event) => (
            <li key={event.id}>
              <ActivityEntry event={event} workspaceId={workspaceId} names={names} now={now} />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
