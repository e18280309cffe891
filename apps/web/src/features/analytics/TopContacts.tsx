import { useId } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useNow } from "../../components/hooks";
import { formatAbsolute, formatRelative } from "../../components/time";
import { Link } from "@tanstack/react-router";
import type { RouterOutputs } from "../../trpc";
import { ExportButtons } from "./ExportButtons";
import { formatInteger, formatMoney, formatNumber } from "./format";
import { SORT_LABELS, type TopSort, type ViewParams } from "./params";
import { Skeleton } from "../../components/Skeleton";
import { TableScroll } from "../../components/TableScroll";

type TopContact = RouterOutputs["analytics"]["topContacts"]["items"][number];
export interface TopQuery {
  data: RouterOutputs["analytics"]["topContacts"] | undefined;
  isPending: boolean;
  isFetching: boolean;
  error: unknown;
  refetch: () => Promise<unknown>;
}

const HEALTH_WORD = (health: number) => (health >= 70 ? "healthy" : health >= 40 ? "at risk" : "inactive");

/** The top contacts table, sortable by its column headings, with the export buttons. */
export function TopContacts({
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
        Sorted by {SORT_LABELS[view.sort]}, best first{rows.length > 0 ? ` (top ${rows.length})` : ""}. Choose a column
        heading to sort by it.
      </p>
      {top.error && !top.data ? (
        <ErrorMessage error={top.error} title="Could not load the top contacts" onRetry={() => void top.refetch()} />
      ) : (
        <TableScroll>
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
                    <Skeleton shape="text" rows={5} label="Loading top contacts…" />
                  </td>
                </tr>
              ) : (
                rows.map((contact: TopContact) => (
                  <tr key={contact.id}>
                    <th scope="row" className="an-name">
                      <Link to="/w/$workspaceId/contacts/$contactId" params={{ workspaceId, contactId: contact.id }}>
                        {contact.name}
                      </Link>
                      {contact.email && <span className="muted small truncate an-email">{contact.email}</span>}
                    </th>
                    <td className="hide-sm truncate">{contact.company ?? "—"}</td>
                    <td className="an-num">{formatMoney(contact.clv)}</td>
                    <td className="an-num">
                      {formatNumber(contact.health)} <span className="muted small">{HEALTH_WORD(contact.health)}</span>
                    </td>
                    <td>
                      {contact.lastContactAt ? (
                        <time
                          dateTime={contact.lastContactAt.toISOString()}
                          title={formatAbsolute(contact.lastContactAt)}
                        >
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
        </TableScroll>
      )}
    </section>
  );
}
