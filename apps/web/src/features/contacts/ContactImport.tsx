import { useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useEffect, useId, useRef, useState } from "react";
import { ProgressBar } from "../../components/ProgressBar";
import { showToast } from "../../components/toast";
import { describeError } from "../../errors";
import {
  IMPORT_FIELD_LABELS,
  IMPORT_FIELDS,
  IMPORT_MAX_ROWS,
  mappingProblem,
  type ImportField,
  type ImportMapping,
} from "../../schemas";
import { authedFetch, getAccessToken } from "../../session";
import { trpc, type RouterOutputs } from "../../trpc";
import { isJobFinished, useJobProgress } from "../jobs/useJobProgress";
import { refreshLists } from "./cache";

const UPLOAD_PATH = "/api/imports/upload";
const REPORT_PATH = "/api/imports/report";

type BadRows = "skip" | "abort";
type Existing = "fill" | "overwrite" | "skip";

const BAD_ROW_CHOICES: [BadRows, string][] = [
  ["skip", "Skip them and list them in the report"],
  ["abort", "Import nothing if any row has a problem"],
];
const EXISTING_CHOICES: [Existing, string][] = [
  ["fill", "Fill in their empty fields"],
  ["overwrite", "Overwrite their fields with the file's values"],
  ["skip", "Leave them as they are (skip the row)"],
];

async function uploadFile(workspaceId: string, file: File): Promise<string> {
  const format = /\.xlsx$/i.test(file.name) ? "xlsx" : "csv";
  const token = await getAccessToken();
  const response = await authedFetch(`${UPLOAD_PATH}?workspaceId=${workspaceId}&format=${format}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token ?? ""}` },
    body: file,
  });
  const body = (await response.json().catch(() => ({}))) as { importId?: string; error?: string };
  if (!response.ok || !body.importId) throw new Error(body.error ?? `The upload failed (${response.status}).`);
  return body.importId;
}

async function downloadReport(workspaceId: string, importId: string) {
  const token = await getAccessToken();
  const response = await authedFetch(`${REPORT_PATH}?workspaceId=${workspaceId}&importId=${importId}`, {
    headers: { authorization: `Bearer ${token ?? ""}` },
  });
  if (!response.ok) throw new Error(`The report could not be downloaded (${response.status}).`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `import-report-${importId.slice(0, 8)}.csv`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Contact import: upload a CSV or XLSX file, map its columns (guessed from the headers, or
 * from a saved template), check the first rows, choose what happens to bad rows and to
 * contacts that already exist, then follow the import's progress to its report.
 */
export function ContactImport({ workspaceId, onClose }: { workspaceId: string; onClose: () => void }) {
  const id = useId();
  const queryClient = useQueryClient();
  const fileRef = useRef<HTMLInputElement>(null);
  const [fileName, setFileName] = useState<string | null>(null);
  const [importId, setImportId] = useState<string | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [uploading, setUploading] = useState(false);
  const [mapping, setMapping] = useState<ImportMapping | undefined>(undefined);
  const [templateId, setTemplateId] = useState<string | undefined>(undefined);
  const [badRows, setBadRows] = useState<BadRows>("skip");
  const [existing, setExisting] = useState<Existing>("fill");
  const [templateName, setTemplateName] = useState("");
  const [jobId, setJobId] = useState<string | null>(null);

  useEffect(() => fileRef.current?.focus(), []);

  const preview = trpc.imports.preview.useQuery(
    { workspaceId, importId: importId ?? "", mapping, templateId: mapping ? undefined : templateId },
    { enabled: importId !== null && jobId === null, placeholderData: (previous) => previous },
  );
  const templates = trpc.imports.templates.useQuery({ workspaceId });
  const saveTemplate = trpc.imports.saveTemplate.useMutation({
    onSuccess: (saved) => {
      void templates.refetch();
      showToast({ message: `Saved the mapping "${saved.name}".` });
      setTemplateName("");
    },
  });
  const start = trpc.imports.start.useMutation({ onSuccess: (started) => setJobId(started.jobId) });
  const { progress } = useJobProgress(jobId);
  const finished = isJobFinished(progress);
  const result = trpc.imports.get.useQuery(
    { workspaceId, importId: importId ?? "" },
    { enabled: importId !== null && finished },
  );

  useEffect(() => {
    if (result.data?.status === "completed") void refreshLists(queryClient, workspaceId);
  }, [result.data?.status, queryClient, workspaceId]);

  const chooseFile = async (file: File | undefined) => {
    setUploadError(null);
    setImportId(null);
    setMapping(undefined);
    setJobId(null);
    start.reset();
    setFileName(file?.name ?? null);
    if (!file) return;
    setUploading(true);
    try {
      setImportId(await uploadFile(workspaceId, file));
    } catch (error) {
      setUploadError(error instanceof Error ? error.message : "The upload failed.");
    } finally {
      setUploading(false);
    }
  };

  const shown = preview.data;
  const current: ImportMapping = mapping ?? shown?.mapping ?? [];
  const problem = shown ? mappingProblem(current) : null;
  const setField = (column: number, field: ImportField | null) => {
    const next = shown!.headers.map((_, i) => current[i] ?? null);
    // A field maps to one column: choosing it here frees it elsewhere.
    if (field) for (let i = 0; i < next.length; i++) if (next[i] === field) next[i] = null;
    next[column] = field;
    setMapping(next);
  };

  return (
    <section
      className="card ct-panel"
      aria-labelledby={`${id}-title`}
      onKeyDown={(event) => event.key === "Escape" && onClose()}
    >
      <h2 id={`${id}-title`}>Import contacts</h2>
      <p className="hint" id={`${id}-format`}>
        A CSV or Excel (.xlsx) file with a header row, up to {IMPORT_MAX_ROWS.toLocaleString()} rows. Separate several
        tags in a cell with commas.
      </p>
      <div className="ct-import-row">
        <div className="field ct-field">
          <label htmlFor={`${id}-file`}>File</label>
          <input
            ref={fileRef}
            id={`${id}-file`}
            type="file"
            accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            aria-describedby={`${id}-format`}
            disabled={jobId !== null && !finished}
            onChange={(event) => void chooseFile(event.target.files?.[0])}
          />
        </div>
      </div>
      {uploading && <p aria-live="polite">Uploading {fileName}…</p>}
      {uploadError && (
        <p className="alert alert-error" role="alert">
          {fileName ? `${fileName}: ` : ""}
          {uploadError}
        </p>
      )}
      {preview.error && (
        <p className="alert alert-error" role="alert">
          {describeError(preview.error).message}
        </p>
      )}

      {shown && jobId === null && (
        <div className="ct-import-preview">
          <div className="ct-import-templates">
            {(templates.data?.length ?? 0) > 0 && (
              <div className="field ct-field">
                <label htmlFor={`${id}-template`}>Use a saved mapping</label>
                <select
                  id={`${id}-template`}
                  value={templateId ?? ""}
                  onChange={(event) => {
                    setTemplateId(event.target.value || undefined);
                    setMapping(undefined);
                  }}
                >
                  <option value="">Guess from the headers</option>
                  {templates.data?.map((template) => (
                    <option key={template.id} value={template.id}>
                      {template.name}
                    </option>
                  ))}
                </select>
              </div>
            )}
          </div>
          <h3>Map the columns</h3>
          <div className="ct-table-wrap" tabIndex={0} role="region" aria-label="Column mapping and first rows">
            <table className="ct-table ct-mapping">
              <caption className="visually-hidden">
                Each column of the file, the contact field it fills and the first rows with their problems
              </caption>
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">Looks like</th>
                  {shown.headers.map((header, column) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: the file's columns, in file order
                    <th scope="col" key={column}>
                      <span className="ct-mapping-header">{header || `Column ${column + 1}`}</span>
                      <select
                        aria-label={`Field for column ${header || column + 1}`}
                        value={current[column] ?? ""}
                        onChange={(event) => setField(column, (event.target.value || null) as ImportField | null)}
                      >
                        <option value="">Ignore</option>
                        {IMPORT_FIELDS.map((field) => (
                          <option key={field} value={field}>
                            {IMPORT_FIELD_LABELS[field]}
                          </option>
                        ))}
                      </select>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {shown.rows.map((row) => (
                  <tr key={row.rowNumber}>
                    <th scope="row">{row.rowNumber}</th>
                    <td className={row.possibleDuplicate ? "ct-cell-warn" : undefined}>
                      {row.possibleDuplicate && (
                        <>
                          Looks like{" "}
                          <Link
                            to="/w/$workspaceId/contacts/$contactId"
                            params={{ workspaceId, contactId: row.possibleDuplicate.contactId }}
                          >
                            {row.possibleDuplicate.name}
                            {row.possibleDuplicate.company ? ` at ${row.possibleDuplicate.company}` : ""}
                          </Link>{" "}
                          ({row.possibleDuplicate.reasons.map((reason) => DUPLICATE_REASON_LABELS[reason]).join(", ")})
                        </>
                      )}
                    </td>
                    {row.cells.map((cell, column) => (
                      <td
                        // biome-ignore lint/suspicious/noArrayIndexKey: the file's columns, in file order
                        key={column}
                        className={cell.problem ? "ct-cell-bad" : current[column] ? undefined : "ct-cell-ignored"}
                      >
                        {cell.value}
                        {cell.problem && <span className="field-error"> {cell.problem}</span>}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="small">
            Row numbers count the header as row 1, as in a spreadsheet. A row that looks like an existing contact is
            still imported as a new one (unless its email matches); the report lists them, and the duplicates page can
            merge them afterwards.
          </p>
          {problem && (
            <p className="alert alert-error" role="alert">
              Mapping: {problem}.
            </p>
          )}
          <div className="ct-import-options">
            <fieldset>
              <legend>Rows with a problem</legend>
              {BAD_ROW_CHOICES.map(([value, label]) => (
                <label className="checkbox" key={value}>
                  <input
                    type="radio"
                    name={`${id}-bad`}
                    checked={badRows === value}
                    onChange={() => setBadRows(value)}
                  />
                  {label}
                </label>
              ))}
            </fieldset>
            <fieldset>
              <legend>Contacts whose email already exists</legend>
              {EXISTING_CHOICES.map(([value, label]) => (
                <label className="checkbox" key={value}>
                  <input
                    type="radio"
                    name={`${id}-existing`}
                    checked={existing === value}
                    onChange={() => setExisting(value)}
                  />
                  {label}
                </label>
              ))}
            </fieldset>
          </div>
          <form
            className="ct-import-save"
            onSubmit={(event) => {
              event.preventDefault();
              if (!templateName.trim() || problem) return;
              saveTemplate.mutate({ workspaceId, name: templateName, headers: shown.headers, mapping: current });
            }}
          >
            <div className="field ct-field">
              <label htmlFor={`${id}-template-name`}>Save this mapping as</label>
              <input
                id={`${id}-template-name`}
                value={templateName}
                maxLength={100}
                onChange={(event) => setTemplateName(event.target.value)}
              />
            </div>
            <button type="submit" className="button-secondary" disabled={!templateName.trim() || problem !== null}>
              Save mapping
            </button>
          </form>
          {start.error && (
            <p className="alert alert-error" role="alert">
              {describeError(start.error).message}
            </p>
          )}
        </div>
      )}

      {jobId !== null && (
        <div className="ct-import-preview" aria-live="polite">
          <ProgressBar
            label="Import progress"
            percent={
              progress ? (progress.total === null && progress.state !== "completed" ? null : progress.percent) : null
            }
            valueText={progress?.stage === "checking" ? "Checking the file…" : "Importing…"}
            tone={progress?.state === "failed" ? "failed" : progress?.state === "completed" ? "done" : "running"}
          />
          {result.data && <ImportResult workspaceId={workspaceId} result={result.data} />}
        </div>
      )}

      <div className="ct-actions">
        {jobId === null && (
          <button
            type="button"
            disabled={!shown || problem !== null || start.isPending}
            onClick={() => importId && start.mutate({ workspaceId, importId, mapping: current, badRows, existing })}
          >
            {start.isPending ? "Starting…" : "Import"}
          </button>
        )}
        <button type="button" className="button-secondary" onClick={onClose}>
          {finished ? "Close" : "Cancel"}
        </button>
      </div>
    </section>
  );
}

type ImportState = RouterOutputs["imports"]["get"];

const DUPLICATE_REASON_LABELS = {
  email: "same mailbox",
  phone: "same phone number",
  name: "similar name at the same company",
} as const;

function ImportResult({ workspaceId, result }: { workspaceId: string; result: ImportState }) {
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const counts = `${result.created.toLocaleString()} created, ${result.updated.toLocaleString()} updated, ${result.unchanged.toLocaleString()} unchanged, ${result.skipped.toLocaleString()} skipped`;
  const flagged =
    result.flagged > 0
      ? ` ${result.flagged.toLocaleString()} imported row(s) look like existing contacts: review them on the duplicates page (scan for duplicates).`
      : "";
  return (
    <div>
      {result.status === "failed" ? (
        <p className="alert alert-error" role="alert">
          {result.error}
        </p>
      ) : (
        <p className="alert alert-success" role="status">
          Import finished: {counts}.{flagged}
        </p>
      )}
      {result.problems.length > 0 && (
        <>
          <div className="ct-table-wrap" tabIndex={0} role="region" aria-label="Report">
            <table className="ct-table ct-report">
              <caption className="visually-hidden">
                Rows skipped and why, rows imported that look like existing contacts (the header is row 1)
              </caption>
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Field</th>
                  <th scope="col">Problem</th>
                </tr>
              </thead>
              <tbody>
                {result.problems.map((problem) => (
                  <tr key={`${problem.row}-${problem.field}`}>
                    <td>{problem.row}</td>
                    <td>{problem.outcome === "flagged" ? "Imported, possible duplicate" : "Skipped"}</td>
                    <td>{problem.field}</td>
                    <td>
                      {problem.reason}
                      {problem.contactId && (
                        <>
                          {" "}
                          <Link
                            to="/w/$workspaceId/contacts/$contactId"
                            params={{ workspaceId, contactId: problem.contactId }}
                          >
                            Open contact
                          </Link>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <button
            type="button"
            className="button-secondary"
            onClick={() => {
              downloadReport(workspaceId, result.id).catch((error: unknown) =>
                setDownloadError(error instanceof Error ? error.message : "The download failed."),
              );
            }}
          >
            Download the report (CSV)
          </button>
          {downloadError && (
            <p className="alert alert-error" role="alert">
              {downloadError}
            </p>
          )}
        </>
      )}
    </div>
  );
}
