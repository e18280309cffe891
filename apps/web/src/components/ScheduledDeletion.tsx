import type { ReactNode } from "react";
import { useNow } from "./hooks";
import { dateFormat, formatDays } from "./time";

/**
 * "<what> will be deleted on <date> (in N days)." and what happens meanwhile:
 * the one notice for every deletion that waits out a grace period (an account,
 * a workspace). The countdown follows the clock, once a minute.
 */
export function ScheduledDeletion({
  subject,
  effectiveAt,
  children,
  className,
}: {
  /** Who or what goes: "Your account", the workspace's name. */
  subject: string;
  effectiveAt: Date;
  /** What happens then, and what the reader can do until then. */
  children: ReactNode;
  className?: string;
}) {
  const now = useNow(60_000);
  const left = effectiveAt.getTime() - now;
  return (
    <div className={`alert scheduled-deletion${className ? ` ${className}` : ""}`} role="status">
      <p className="alert-title">
        {subject} will be deleted on <time dateTime={effectiveAt.toISOString()}>{dateFormat.format(effectiveAt)}</time>
        {left > 0 ? ` (in ${formatDays(left)})` : ""}.
      </p>
      <p>{children}</p>
    </div>
  );
}
