import type { ReactNode } from "react";
import { describeError } from "../errors";

interface Props {
  error: unknown;
  /** Extra actions for a specific error, e.g. "Show the existing contact". */
  children?: ReactNode;
}

/** A server or network error, announced to screen readers. */
export function ErrorMessage({ error, children }: Props) {
  if (!error) return null;
  const info = describeError(error);
  // Several validation problems: the summary is in the message, the list helps scanning.
  const issues = info.issues.length > 1 ? info.issues : [];
  return (
    <div className="alert alert-error" role="alert">
      <p className="alert-title">{info.message}</p>
      {issues.length > 0 && (
        <ul>
          {issues.map((issue, index) => (
            <li key={index}>
              {issue.path.length > 0 && <strong>{issue.path.join(".")}: </strong>}
              {issue.message}
            </li>
          ))}
        </ul>
      )}
      {children}
      {info.requestId && info.code === "INTERNAL_SERVER_ERROR" && (
        <p className="muted small">Request id: {info.requestId}</p>
      )}
    </div>
  );
}
