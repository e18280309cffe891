import { Component, type ErrorInfo, type ReactNode } from "react";

interface Props {
  children: ReactNode;
}

interface State {
  error: Error | null;
}

/** A lazily loaded page whose file is gone (a new deploy) fails like this. */
function isChunkLoadError(error: Error): boolean {
  return /dynamically imported module|Importing a module script failed|error loading dynamically|Failed to fetch/i.test(
    error.message,
  );
}

/**
 * Catches render errors below it so a broken page never leaves a blank screen.
 * Give it a `key` (the route) so navigating elsewhere starts fresh.
 */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo) {
    console.error("Page failed to render", error, info.componentStack);
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    const chunk = isChunkLoadError(error);
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
            <button type="button" onClick={() => this.setState({ error: null })}>
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
}
