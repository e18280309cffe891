import { Component, type ErrorInfo, type ReactNode } from "react";

/**
 * The charts are a bonus on top of the figures: if chart.js cannot draw (no
 * canvas context, e.g. canvas blocked by a privacy setting) or its chunk fails
 * to load, say so here and keep the rest of the dashboard.
 */
export class ChartsBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo) {
    console.warn("analytics charts failed to render", error, info.componentStack);
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <div className="alert alert-info" role="status">
        <p className="alert-title">The charts could not be drawn in this browser.</p>
        <p>The key figures above and the top contacts below are complete.</p>
      </div>
    );
  }
}
