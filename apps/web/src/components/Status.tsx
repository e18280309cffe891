import type { ReactNode } from "react";

/** A polite loading line (never a blank area while data loads). */
export function Loading({ children = "Loading…" }: { children?: ReactNode }) {
  return (
    <p className="muted loading" role="status">
      {children}
    </p>
  );
}

/** "Nothing here yet", with an optional next step. */
export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}
