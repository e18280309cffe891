/**
 * /privacy — the signed-in person's own data (GDPR): download it,
 * restrict its processing, delete the account, follow the requests, see where
 * it is stored. Linked from the top bar ("My privacy").
 */
import { useId, useState, type FormEvent } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useDocumentTitle, useNow } from "../../components/hooks";
import { Empty } from "../../components/Status";
import { Link } from "@tanstack/react-router";
import { useCurrentUser } from "../../session";
import { trpc } from "../../trpc";
import { DataLocations } from "./DataLocations";
import { DeleteAccount, useMyOperations } from "./DeleteAccount";
import { ExportProgress, isFinished, useExportJob } from "./ExportProgress";
import { EXPORT_SECTIONS, type ExportSection } from "./format";
import { OperationsTable } from "./OperationsTable";
import { RestrictProcessing } from "./RestrictProcessing";
import "./privacy.css";
import { Skeleton } from "../../components/Skeleton";

export default function PrivacyPage() {
  useDocumentTitle("Privacy");
  return (
    <div className="stack-lg pv-page">
      <div>
        <nav aria-label="Breadcrumb" className="breadcrumb">
          <Link to="/">← Your workspaces</Link>
        </nav>
        <h1>Privacy</h1>
        <p className="muted pv-lead">
          Your personal data in Rapport: take a copy, pause its use, or delete your account. Every request is answered
          within one month (GDPR Art. 12), most of them at once.
        </p>
      </div>
      <div className="pv-grid">
        <DownloadMyData />
        <RestrictProcessing />
      </div>
      <DeleteAccount />
      <MyRequests />
      <DataLocations />
    </div>
  );
}

const ALL_SECTIONS = EXPORT_SECTIONS.map((section) => section.value);

/** "Download my data" (GDPR Art. 15 and 20): choose sections, follow the export, download the ZIP. */
function DownloadMyData() {
  const id = useId();
  const me = useCurrentUser();
  const job = useExportJob(`rapport.privacy.export.${me.id}`);
  const [chosen, setChosen] = useState<Set<ExportSection>>(() => new Set(ALL_SECTIONS));
  const request = trpc.gdpr.requestExport.useMutation({ onSuccess: job.started });
  const running = job.status !== undefined && !isFinished(job.status);

  const start = () => {
    const include = ALL_SECTIONS.filter((section) => section === "profile" || chosen.has(section));
    request.mutate(include.length === ALL_SECTIONS.length ? {} : { include });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    start();
  };
  const toggle = (section: ExportSection, on: boolean) =>
    setChosen((current) => {
      const next = new Set(current);
      if (on) next.add(section);
      else next.delete(section);
      return next;
    });

  return (
    <section className="card stack" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Download my data</h2>
      <p className="muted">
        A ZIP with everything Rapport holds about you, as JSON files and a README explaining each one. It takes a few
        seconds, longer for large workspaces; you can leave this page meanwhile.
      </p>

      {job.checking ? (
        <Skeleton shape="text" rows={2} label="Checking your last export…" />
      ) : (
        job.status && (
          <ExportProgress
            status={job.status}
            label="Export progress"
            pollError={job.error}
            onRetryPoll={job.refetch}
            onRequestAgain={start}
            requestAgainPending={request.isPending}
            fallbackFilename="rapport-user-data.zip"
          />
        )
      )}

      {!running && !job.checking && (
        <form className="stack-sm" onSubmit={submit} noValidate>
          <fieldset className="pv-sections">
            <legend>Include</legend>
            {EXPORT_SECTIONS.map((section) => (
              <label key={section.value} className="checkbox pv-section-option">
                <input
                  type="checkbox"
                  checked={section.value === "profile" || chosen.has(section.value)}
                  disabled={section.value === "profile"}
                  onChange={(event) => toggle(section.value, event.target.checked)}
                  aria-describedby={`${id}-${section.value}`}
                />
                <span>
                  {section.label}
                  <span id={`${id}-${section.value}`} className="block small muted pv-section-hint">
                    {section.description}
                  </span>
                </span>
              </label>
            ))}
          </fieldset>
          <div className="button-row">
            <button type="submit" className={job.status ? "button-secondary" : undefined} disabled={request.isPending}>
              {request.isPending ? "Requesting…" : job.status ? "Request a new export" : "Request my data"}
            </button>
          </div>
        </form>
      )}
      <ErrorMessage error={request.error} title="Could not request the export" />
    </section>
  );
}

/** "My requests": the person's own GDPR requests (gdpr.myOperations), newest first. */
function MyRequests() {
  const id = useId();
  const now = useNow(60_000);
  const operations = useMyOperations();
  return (
    <section className="card stack" aria-labelledby={`${id}-title`}>
      <div>
        <h2 id={`${id}-title`}>My requests</h2>
        <p className="muted small">
          Copies of your data, deletions and restrictions you asked for. Each is due one month after it was received.
        </p>
      </div>
      {operations.isPending ? (
        <Skeleton shape="table" rows={3} label="Loading your requests…" />
      ) : !operations.data ? (
        <ErrorMessage
          error={operations.error}
          title="Could not load your requests"
          onRetry={() => void operations.refetch()}
        />
      ) : operations.data.length === 0 ? (
        <Empty>
          <p>No requests yet.</p>
        </Empty>
      ) : (
        <OperationsTable operations={operations.data} caption="My privacy requests" now={now} />
      )}
    </section>
  );
}
