/**
 * "Suggested connections" on a contact page: whom this contact is most likely
 * connected to (recommendations.forContact), best first, with the reasons.
 */
import { keepPreviousData, useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useEffect, useId, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Empty, Loading } from "../../components/Status";
import { formatAbsolute } from "../../components/time";
import { Link } from "@tanstack/react-router";
import { trpc, type RouterOutputs } from "../../trpc";
import "./recommendations.css";
import { Skeleton } from "../../components/Skeleton";

/** How many suggestions the panel shows at first, and at most after "Show more". */
const COLLAPSED = 3;
const SHOWN = 10;
/**
 * How many it asks for: the server's default list (k = 20) is the one cache
 * warm-up precomputes, so asking for exactly that is what makes warm-up pay off.
 */
const REQUESTED_K = 20;

type Suggestion = RouterOutputs["recommendations"]["forContact"]["items"][number];

export interface SuggestedConnectionsProps {
  workspaceId: string;
  contactId: string;
  contactName: string;
}

export function SuggestedConnections({ workspaceId, contactId, contactName }: SuggestedConnectionsProps) {
  const id = useId();
  const [includeKnown, setIncludeKnown] = useState(false);
  const [expanded, setExpanded] = useState(false);
  const input = { workspaceId, contactId, k: REQUESTED_K, includeKnown };
  const query = trpc.recommendations.forContact.useQuery(input, {
    // Flipping the toggle keeps the current list on screen until the new one arrives.
    placeholderData: keepPreviousData,
  });
  useRefreshAfterTimelineChange(workspaceId, contactId);

  const data = query.data;
  const available = data?.items.slice(0, SHOWN) ?? [];
  const items = expanded ? available : available.slice(0, COLLAPSED);
  const hidden = available.length - COLLAPSED;
  const updating = query.isFetching && query.isPlaceholderData;

  let body: ReactNode;
  if (query.isPending) {
    body = <Skeleton shape="list" rows={3} label="Loading suggestions…" />;
  } else if (!data) {
    body = <ErrorMessage error={query.error} title="Could not load suggestions" onRetry={() => void query.refetch()} />;
  } else if (items.length === 0) {
    body = (
      <Empty>
        <p>No suggestions yet — log emails or meetings with other contacts</p>
        {!includeKnown && (
          <p className="small">People {contactName} already knows are hidden unless you include them.</p>
        )}
      </Empty>
    );
  } else {
    body = (
      <>
        <ol id={`${id}-list`} className="rec-list" aria-label={`Suggestions for ${contactName}`}>
          {items.map((item) => (
            <SuggestionItem key={item.contactId} workspaceId={workspaceId} item={item} />
          ))}
        </ol>
        {hidden > 0 && (
          <button
            type="button"
            className="button-secondary rec-more"
            aria-expanded={expanded}
            aria-controls={`${id}-list`}
            onClick={() => setExpanded((value) => !value)}
          >
            {expanded ? "Show fewer" : `Show ${hidden} more`}
          </button>
        )}
      </>
    );
  }

  return (
    <section className="card rec-panel" aria-labelledby={`${id}-title`} aria-busy={updating || undefined}>
      <div className="rec-head">
        <h2 id={`${id}-title`}>Suggested connections</h2>
        {data?.cached && !query.isPlaceholderData && (
          <span className="rec-cache-hint" title={`Computed ${formatAbsolute(data.computedAt)}`}>
            from cache
          </span>
        )}
      </div>
      <p className="hint">People {contactName} is likely connected to, from shared emails, meetings and employers.</p>
      <label className="checkbox rec-toggle">
        <input type="checkbox" checked={includeKnown} onChange={(event) => setIncludeKnown(event.target.checked)} />
        Include people they already know
      </label>
      {updating && <Loading>Updating suggestions…</Loading>}
      {/* A failed refetch (e.g. after the toggle) keeps the last list and says so. */}
      {data && query.error && (
        <ErrorMessage error={query.error} title="Could not update suggestions" onRetry={() => void query.refetch()} />
      )}
      {body}
    </section>
  );
}

function SuggestionItem({ workspaceId, item }: { workspaceId: string; item: Suggestion }) {
  const percent = Math.round(item.score * 100);
  return (
    <li className="rec-item">
      <div className="rec-who">
        <Link
          className="rec-name"
          to="/w/$workspaceId/contacts/$contactId"
          params={{ workspaceId, contactId: item.contactId }}
        >
          {item.name}
        </Link>
        {item.company && <span className="rec-company">{item.company}</span>}
      </div>
      <div className="rec-score">
        <span className="rec-bar" aria-hidden="true">
          <span className="rec-bar-fill" style={{ width: `${Math.max(2, percent)}%` }} />
        </span>
        <span className="rec-percent">{percent}% match</span>
      </div>
      {item.reasons.length > 0 && (
        <ul className="rec-reasons" aria-label="Reasons">
          {item.reasons.map((reason) => (
            <li key={reason}>{sentence(reason)}</li>
          ))}
        </ul>
      )}
    </li>
  );
}

/** "same company: Acme" → "Same company: Acme". */
function sentence(reason: string): string {
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}

/**
 * Logging or deleting an interaction on this page updates the timeline in
 * place (setInfiniteData); suggestions depend on those interactions, so ask
 * again when that happens. Plain fetches of the timeline do not count.
 */
function useRefreshAfterTimelineChange(workspaceId: string, contactId: string) {
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  useEffect(
    () =>
      queryClient.getQueryCache().subscribe((event) => {
        if (event.type !== "updated" || event.action.type !== "success" || !event.action.manual) return;
        const [path, meta] = event.query.queryKey as [
          unknown,
          { input?: { workspaceId?: string; contactId?: string } } | undefined,
        ];
        if (!Array.isArray(path) || path.join(".") !== "interactions.listForContact") return;
        if (meta?.input?.workspaceId !== workspaceId || meta.input.contactId !== contactId) return;
        void utils.recommendations.forContact.invalidate({ workspaceId, contactId });
      }),
    [queryClient, utils, workspaceId, contactId],
  );
}
