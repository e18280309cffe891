import { useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { trpc } from "../../trpc";
import { asOfOf, SORT_LABELS, type ViewParams } from "./params";

/** Export every contact (CSV or Excel) in the table's order, through a short-lived signed link. */
export function ExportButtons({ workspaceId, view }: { workspaceId: string; view: ViewParams }) {
  const exportLink = trpc.analytics.export.useMutation();
  const [started, setStarted] = useState<string | null>(null);
  const download = async (format: "csv" | "xlsx") => {
    setStarted(null);
    const link = await exportLink.mutateAsync({ workspaceId, format, sortBy: view.sort, asOf: asOfOf(view) });
    // The link is signed and short-lived; the browser downloads it natively (streamed to disk).
    const anchor = document.createElement("a");
    anchor.href = link.url;
    anchor.download = link.filename;
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    setStarted(`Download started: ${link.filename} (every contact, sorted by ${SORT_LABELS[view.sort]}).`);
  };
  return (
    <div className="an-export">
      <div className="button-row">
        <button
          type="button"
          className="button-secondary button-small"
          disabled={exportLink.isPending}
          onClick={() => void download("csv").catch(() => {})}
        >
          Export CSV
        </button>
        <button
          type="button"
          className="button-secondary button-small"
          disabled={exportLink.isPending}
          onClick={() => void download("xlsx").catch(() => {})}
        >
          Export Excel
        </button>
      </div>
      <p role="status" className="muted small an-export-status">
        {exportLink.isPending ? "Preparing the export…" : started}
      </p>
      {exportLink.error && <ErrorMessage error={exportLink.error} title="Could not start the export" />}
    </div>
  );
}
