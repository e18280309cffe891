import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { describeError } from "../../errors";
import { trpc } from "../../trpc";
import { Link } from "@tanstack/react-router";
import { refreshLists } from "./cache";
import { contactsFromCsv, CSV_COLUMNS, CSV_MAX_ROWS, type CsvResult } from "./csv";
import { showToast } from "../../components/toast";

const MAX_FILE_BYTES = 5 * 1024 * 1024;
const REPORT_LIMIT = 200;

interface RowProblem {
  index: number | null;
  field: string;
  message: string;
  existingContactId?: string;
}

/** Per-row problems from zod paths ["contacts", i, field] and from CONFLICT details.rows. */
function rowProblems(error: unknown): RowProblem[] {
  const info = describeError(error);
  const problems: RowProblem[] = [];
  for (const issue of info.issues) {
    const [root, index, ...field] = issue.path;
    if (root === "contacts" && index !== undefined && /^\d+$/.test(index)) {
      problems.push({ index: Number(index), field: field[0] ?? "row", message: issue.message });
    } else {
      problems.push({ index: null, field: issue.path.join(".") || "file", message: issue.message });
    }
  }
  const rows = info.details.rows;
  if (Array.isArray(rows)) {
    for (const row of rows as { index: number; field: string; message: string; existingContactId?: string }[]) {
      // The API counts rows from 0; the report counts as a spreadsheet does (header = row 1).
      const message = row.message.replace(/\brow (\d+)\b/g, (_, index: string) => `row ${Number(index) + 2}`);
      problems.push({ index: row.index, field: row.field, message, existingContactId: row.existingContactId });
    }
  }
  return problems.sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
}

/** CSV import through contacts.bulkCreate: all rows or none. */
export function CsvImport({ workspaceId, onClose }: { workspaceId: string; onClose: () => void }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [fileName, setFileName] = useState<string | null>(null);
  const [parsed, setParsed] = useState<CsvResult | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const bulk = trpc.contacts.bulkCreate.useMutation();

  useEffect(() => fileRef.current?.focus(), []);

  const readFile = async (file: File | undefined) => {
    bulk.reset();
    setFileName(file?.name ?? null);
    if (!file) return setParsed(null);
    if (file.size > MAX_FILE_BYTES) return setParsed({ ok: false, error: "The file is larger than 5 MB." });
    try {
      setParsed(contactsFromCsv(await file.text()));
    } catch {
      setParsed({ ok: false, error: "Could not read the file." });
    }
  };

  const runImport = () => {
    if (!parsed?.ok) return;
    bulk.mutate(
      { workspaceId, contacts: parsed.contacts },
      {
        onSuccess: (result) => {
          void refreshLists(queryClient, workspaceId);
          showToast({
            message: `Imported ${result.created.toLocaleString()} contact${result.created === 1 ? "" : "s"}.`,
          });
          onClose();
        },
      },
    );
  };

  const problems = bulk.error ? rowProblems(bulk.error) : [];
  const badRows = new Set(problems.map((problem) => problem.index)).size;
  const contacts = parsed?.ok ? parsed.contacts : [];

  return (
    <section
      className="card ct-panel"
      aria-labelledby={`${id}-title`}
      onKeyDown={(event) => event.key === "Escape" && onClose()}
    >
      <h2 id={`${id}-title`}>Import contacts from CSV</h2>
      <p className="hint" id={`${id}-format`}>
        Header row <code>{CSV_COLUMNS.join(",")}</code>; separate several tags with <code>;</code>. Up to{" "}
        {CSV_MAX_ROWS.toLocaleString()} rows. If any row has a problem, nothing is imported.
      </p>
      <div className="ct-import-row">
        <div className="field ct-field">
          <label htmlFor={`${id}-file`}>CSV file</label>
          <input
            ref={fileRef}
            id={`${id}-file`}
            type="file"
            accept=".csv,text/csv"
            aria-describedby={`${id}-format`}
            onChange={(event) => void readFile(event.target.files?.[0])}
          />
        </div>
      </div>

      {parsed && !parsed.ok && (
        <p className="alert alert-error" role="alert">
          {fileName ? `${fileName}: ` : ""}
          {parsed.error}
        </p>
      )}

      {parsed?.ok && (
        <div className="ct-import-preview">
          <p aria-live="polite">
            <strong>
              {contacts.length.toLocaleString()} contact{contacts.length === 1 ? "" : "s"}
            </strong>{" "}
            ready to import from {fileName}.
            {parsed.ignoredColumns.length > 0 && ` Ignored columns: ${parsed.ignoredColumns.join(", ")}.`}
          </p>
          <div className="ct-table-wrap">
            <table className="ct-table">
              <caption className="visually-hidden">Preview of the first rows</caption>
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Company</th>
                  <th scope="col">Tags</th>
                </tr>
              </thead>
              <tbody>
                {contacts.slice(0, 5).map((contact, index) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a fixed preview of the file's first rows, in file order
                  <tr key={index}>
                    <td>{index + 2}</td>
                    <td>{contact.name}</td>
                    <td>{contact.email}</td>
                    <td>{contact.company}</td>
                    <td>{contact.tags.join("; ")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {contacts.length > 5 && <p className="hint">…and {(contacts.length - 5).toLocaleString()} more.</p>}
        </div>
      )}

      {bulk.error && (
        <div className="alert alert-error" role="alert">
          <p className="alert-title">
            Nothing was imported.{" "}
            {problems.length > 0
              ? `${problems.length} problem${problems.length === 1 ? "" : "s"} in ${badRows} row${badRows === 1 ? "" : "s"}:`
              : describeError(bulk.error).message}
          </p>
          {problems.length > 0 && (
            <div className="ct-table-wrap">
              <table className="ct-table ct-report">
                <caption className="visually-hidden">Problems by row (the header is row 1)</caption>
                <thead>
                  <tr>
                    <th scope="col">Row</th>
                    <th scope="col">Name</th>
                    <th scope="col">Field</th>
                    <th scope="col">Problem</th>
                  </tr>
                </thead>
                <tbody>
                  {problems.slice(0, REPORT_LIMIT).map((problem, index) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: a fixed report of the file's problems, in file order
                    <tr key={index}>
                      <td>{problem.index === null ? "—" : problem.index + 2}</td>
                      <td>{problem.index === null ? "" : contacts[problem.index]?.name}</td>
                      <td>{problem.field}</td>
                      <td>
                        {problem.message}
                        {problem.existingContactId && (
                          <>
                            {" "}
                            <Link
                              to="/w/$workspaceId/contacts/$contactId"
                              params={{ workspaceId, contactId: problem.existingContactId }}
                            >
                              Open existing contact
                            </Link>
                          </>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {problems.length > REPORT_LIMIT && (
            <p>…and {problems.length - REPORT_LIMIT} more. Fix these and import again.</p>
          )}
          <p className="small">Row numbers count the header as row 1, as in a spreadsheet.</p>
        </div>
      )}

      <div className="ct-actions">
        <button type="button" onClick={runImport} disabled={!parsed?.ok || bulk.isPending}>
          {bulk.isPending ? "Importing…" : "Import"}
        </button>
        <button type="button" className="button-secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </section>
  );
}
