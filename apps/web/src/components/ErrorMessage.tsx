import type { ReactNode } from "react";
import { describeError, formatWait } from "../errors";
import { Link } from "@tanstack/react-router";
import { useRetryAfter } from "./hooks";

interface Props {
  error: unknown;
  /** Extra actions for a specific error, e.g. "Show the existing contact". */
  children?: ReactNode;
  /** Short context shown before the server's message, e.g. "Could not add the member". */
  title?: string;
  /** Offers a "Try again" button (for failed loads). */
  onRetry?: () => void;
}

/**
 * A server or network error, announced to screen readers: validation issues,
 * conflicts, permission errors, rate limits (with a live countdown) and
 * "cannot reach the server".
 */
export function ErrorMessage({ error, children, title, onRetry }: Props) {
  const wait = useRetryAfter(error);
  if (!error) return null;
  const info = describeError(error);
  // Several validation problems: the summary is in the message, the list helps scanning.
  const issues = info.issues.length > 1 ? info.issues : [];
  const rateLimited = info.code === "TOO_MANY_REQUESTS";
  return (
    <div className="alert alert-error" role="alert">
      <p className="alert-title">
        {issues.length > 0
          ? title
            ? `${title}: check these fields.`
            : "Check these fields:"
          : title
            ? `${title}: ${info.message}`
            : info.message}
        {rateLimited &&
          (wait > 0
            ? ` Try again in ${formatWait(wait)}.`
            : info.retryAfterSeconds !== undefined
              ? " You can try again now."
              : " Wait a moment and try again.")}
      </p>
      {issues.length > 0 && (
        <ul>
          {issues.map((issue, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the issues of one error, rendered once and never reordered
            <li key={index}>
              {issue.path.length > 0 && <strong>{issue.path.join(".")}: </strong>}
              {issue.message}
            </li>
          ))}
        </ul>
      )}
      {info.code === "FORBIDDEN" &&
        (info.details.reason === "processing_restricted" ? (
          // The caller's own GDPR restriction, not a missing role: they can lift it themselves.
          <p className="small">
            <Link to="/privacy">Open your Privacy page</Link> to lift the restriction.
          </p>
        ) : (
          <p className="small">Ask a workspace owner or admin if you need this.</p>
        ))}
      {children}
      {onRetry && (
        <p>
          <button type="button" className="button-secondary" onClick={onRetry} disabled={wait > 0}>
            Try again
          </button>
        </p>
      )}
      {info.requestId && info.code === "INTERNAL_SERVER_ERROR" && (
        <p className="muted-on-alert small">Request id: {info.requestId}</p>
      )}
    </div>
  );
}
