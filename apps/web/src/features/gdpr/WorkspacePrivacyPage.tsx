/**
 * /w/:ws/privacy — the workspace's data-subject requests (gdpr.operations), for owners and admins.
 */
import { useId, useMemo } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useNow } from "../../components/hooks";
import { Empty } from "../../components/Status";
import { trpc } from "../../trpc";
import { RequireRole } from "../shell/RequireRole";
import { isOpen } from "./format";
import { OperationsTable } from "./OperationsTable";
import "./privacy.css";
import { Skeleton } from "../../components/Skeleton";

/** Newest first; the server's maximum is 500. */
const LIMIT = 200;

export default function WorkspacePrivacyPage() {
  return (
    <RequireRole minimum="admin" title="Privacy" page="privacy page">
      {(workspace) => <PrivacyRequests workspaceId={workspace.id} workspaceName={workspace.name} />}
    </RequireRole>
  );
}

function PrivacyRequests({ workspaceId, workspaceName }: { workspaceId: string; workspaceName: string }) {
  const id = useId();
  const now = useNow(60_000);
  const operations = trpc.gdpr.operations.useQuery({ workspaceId, limit: LIMIT }, { refetchInterval: 60_000 });
  const { open, history, overdue } = useMemo(() => {
    const all = operations.data ?? [];
    const openOnes = all.filter(isOpen).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
    return {
      open: openOnes,
      history: all.filter((operation) => !isOpen(operation)),
      overdue: openOnes.filter((operation) => operation.overdue).length,
    };
  }, [operations.data]);

  return (
    <div className="stack-lg pv-page">
      <div>
        <h1>Privacy</h1>
        <p className="muted pv-lead">
          Data-subject requests about the people in {workspaceName}. Each must be answered within one month of receipt
          (GDPR Art. 12(3)). Export, restrict or erase a person&apos;s data from their contact page.
        </p>
      </div>

      {operations.isPending ? (
        <Skeleton shape="table" rows={4} label="Loading privacy requests…" />
      ) : !operations.data ? (
        <ErrorMessage
          error={operations.error}
          title="Could not load the privacy requests"
          onRetry={() => void operations.refetch()}
        />
      ) : (
        <>
          {operations.error && (
            <ErrorMessage error={operations.error} title="Could not refresh the requests; showing the last ones" />
          )}
          <dl className="pv-summary" aria-label="Summary">
            <div className="pv-summary-item">
              <dt>Open</dt>
              <dd>{open.length}</dd>
            </div>
            <div className={`pv-summary-item${overdue > 0 ? " pv-summary-overdue" : ""}`}>
              <dt>Overdue</dt>
              <dd>
                {overdue > 0 && <span aria-hidden="true">⚠ </span>}
                {overdue}
              </dd>
            </div>
            <div className="pv-summary-item">
              <dt>Completed</dt>
              <dd>{history.filter((operation) => operation.status === "completed").length}</dd>
            </div>
          </dl>

          <section className="stack" aria-labelledby={`${id}-open`}>
            <h2 id={`${id}-open`}>Open requests</h2>
            {open.length === 0 ? (
              <Empty>
                <p>No open requests.</p>
              </Empty>
            ) : (
              <OperationsTable operations={open} caption="Open privacy requests" now={now} workspaceId={workspaceId} />
            )}
          </section>

          <section className="stack" aria-labelledby={`${id}-history`}>
            <h2 id={`${id}-history`}>History</h2>
            {history.length === 0 ? (
              <Empty>
                <p>No requests yet.</p>
                <p className="small">
                  Restrictions and erasures of contacts appear here, with when they were received and completed.
                </p>
              </Empty>
            ) : (
              <>
                <OperationsTable
                  operations={history}
                  caption="Privacy request history"
                  now={now}
                  workspaceId={workspaceId}
                />
                {operations.data.length >= LIMIT && <p className="small muted">Showing the latest {LIMIT} requests.</p>}
              </>
            )}
          </section>
        </>
      )}
    </div>
  );
}
