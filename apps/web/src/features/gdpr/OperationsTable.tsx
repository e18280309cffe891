import { useId } from "react";
import { formatRelative } from "../../components/time";
import { Link } from "@tanstack/react-router";
import { trpc } from "../../trpc";
import { dateFormat, dateTimeFormat, formatDays } from "../../components/time";
import { isOpen, operationLabel, statusLabel, type Operation } from "./format";
import { TableScroll } from "../../components/TableScroll";

interface Props {
  operations: Operation[];
  /** The table's accessible name. */
  caption: string;
  now: number;
  /** Workspace view: a "Subject" column linking to the contact, and the recorded reason. */
  workspaceId?: string;
}

/**
 * The contact a request is about, by name (deleted ones too; rows of many
 * requests about one contact share one lookup, and the lookups of a page
 * travel in one batched request). Until the name is known, or when the contact
 * is gone, "Contact <id prefix>".
 */
function ContactLink({ workspaceId, contactId }: { workspaceId: string; contactId: string }) {
  const contact = trpc.contacts.get.useQuery(
    { workspaceId, contactId, includeDeleted: true },
    { staleTime: 60_000, retry: false },
  );
  const name = contact.data?.name;
  return (
    <Link
      className="pv-subject"
      to="/w/$workspaceId/contacts/$contactId"
      params={{ workspaceId, contactId }}
      title={`Contact ${contactId}`}
    >
      {name ?? `Contact ${contactId.slice(0, 8)}`}
    </Link>
  );
}

function When({ date, now, withTime = false }: { date: Date | null; now: number; withTime?: boolean }) {
  if (!date) return <span className="muted">—</span>;
  return (
    <time dateTime={date.toISOString()} title={formatRelative(date, now)}>
      {(withTime ? dateTimeFormat : dateFormat).format(date)}
    </time>
  );
}

/**
 * GDPR requests (gdpr.operations / gdpr.myOperations): type, status, received,
 * due (one month after receipt, GDPR Art. 12(3)) and completed. An overdue
 * request is marked in words and with an icon and a coloured edge, never by
 * colour alone. Below 640 px each row becomes a labelled card.
 */
export function OperationsTable({ operations, caption, now, workspaceId }: Props) {
  const id = useId();
  return (
    <TableScroll className="pv-table-wrap" tabIndex={0} role="region" aria-labelledby={`${id}-caption`}>
      <table className="data-table pv-table">
        <caption id={`${id}-caption`} className="visually-hidden">
          {caption}
        </caption>
        <thead>
          <tr>
            <th scope="col">Request</th>
            {workspaceId && <th scope="col">Subject</th>}
            <th scope="col">Status</th>
            <th scope="col">Received</th>
            <th scope="col">Due</th>
            <th scope="col">Completed</th>
          </tr>
        </thead>
        <tbody>
          {operations.map((operation) => {
            const open = isOpen(operation);
            const dueIn = operation.dueAt.getTime() - now;
            return (
              <tr key={operation.id} className={operation.overdue ? "pv-row-overdue" : undefined}>
                <th scope="row" data-label="Request">
                  <span className="block">{operationLabel(operation.type)}</span>
                  {operation.reason && (
                    <span className="block small muted pv-reason" title={operation.reason}>
                      {operation.reason}
                    </span>
                  )}
                </th>
                {workspaceId && (
                  <td data-label="Subject">
                    {operation.subjectKind === "contact" ? (
                      <ContactLink workspaceId={workspaceId} contactId={operation.subjectId} />
                    ) : (
                      <span>Member account</span>
                    )}
                  </td>
                )}
                <td data-label="Status">
                  <span className={`pv-status pv-status-${operation.status}`}>{statusLabel(operation)}</span>
                  {(operation.type === "user_deletion" || operation.type === "workspace_deletion") &&
                    operation.status === "pending" &&
                    operation.effectiveAt && (
                      <span className="block small muted">
                        takes effect <When date={operation.effectiveAt} now={now} />
                      </span>
                    )}
                </td>
                <td data-label="Received" className="nowrap">
                  <When date={operation.requestedAt} now={now} withTime />
                </td>
                <td data-label="Due">
                  <When date={operation.dueAt} now={now} />
                  {operation.overdue ? (
                    <span className="block pv-flag-overdue">
                      <span aria-hidden="true">⚠ </span>Overdue by {formatDays(dueIn)}
                    </span>
                  ) : open ? (
                    <span className="block small muted">in {formatDays(dueIn)}</span>
                  ) : null}
                </td>
                <td data-label="Completed" className="nowrap">
                  <When date={operation.completedAt} now={now} withTime />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableScroll>
  );
}
