import type { ErrorComponentProps } from "@tanstack/react-router";

/** A lazily loaded page whose file is gone (a new deploy) fails like this. */
function isChunkLoadError(error: Error): boolean {
  return /dynamically imported module|Importing a module script failed|error loading dynamically|Failed to fetch/i.test(
    error.message,
  );
}

/**
 * What a page that failed to render shows instead of a blank screen (the router's
 * error component for every route; navigating elsewhere starts fresh).
 */
export function PageError({ error, reset }: ErrorComponentProps) {
  const chunk = error instanceof Error && isChunkLoadError(error);
  return (
    <section className="card stack" aria-labelledby="page-error-title">
      <h1 id="page-error-title">{chunk ? "This page could not be loaded" : "Something went wrong"}</h1>
      <p>
        {chunk
          ? "Rapport may have been updated, or the connection dropped. Reload to get the latest version."
          : "This page hit an unexpected error. Your data is safe; try again or reload."}
      </p>
      <div className="button-row">
        {!chunk && (
          <button type="button" onClick={reset}>
            Try again
          </button>
        )}
        <button
          type="button"
          className={chunk ? undefined : "button-secondary"}
          onClick={() => window.location.reload()}
        >
          Reload
        </button>
      </div>
    </section>
  );
}
