import { useId } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { trpc, type RouterOutputs } from "../../trpc";
import { Skeleton } from "../../components/Skeleton";

type Restriction = RouterOutputs["gdpr"]["restrictionStatus"];

/** What keeps working while processing is restricted (GDPR Art. 18 lets the person keep access). */
const STILL_WORKING = [
  "signing in",
  "viewing your workspaces and contacts",
  "downloading your data",
  "deleting your account",
];

function list(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/**
 * "Restrict processing" (GDPR Art. 18) for the signed-in person: a switch
 * (gdpr.restrict / gdpr.unrestrict) and, in words, what stops — the list the
 * server returns — and what keeps working.
 */
export function RestrictProcessing() {
  const id = useId();
  const utils = trpc.useUtils();
  const status = trpc.gdpr.restrictionStatus.useQuery();
  const done = async (result: Restriction) => {
    utils.gdpr.restrictionStatus.setData(undefined, result);
    await utils.gdpr.myOperations.invalidate();
  };
  const restrict = trpc.gdpr.restrict.useMutation({ onSuccess: done });
  const unrestrict = trpc.gdpr.unrestrict.useMutation({ onSuccess: done });
  const pending = restrict.isPending || unrestrict.isPending;
  const error = restrict.error ?? unrestrict.error;
  const restricted = status.data?.restricted ?? false;

  const toggle = () => {
    restrict.reset();
    unrestrict.reset();
    if (restricted) unrestrict.mutate();
    else restrict.mutate();
  };

  return (
    <section className="card stack" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Restrict processing</h2>
      <p className="muted">
        You can ask Rapport to keep your data but stop using it — for example while you contest whether it is accurate.
        You can lift the restriction at any time.
      </p>
      {status.isPending ? (
        <Skeleton shape="text" rows={2} label="Loading your restriction status…" />
      ) : !status.data ? (
        <ErrorMessage
          error={status.error}
          title="Could not load your restriction status"
          onRetry={() => void status.refetch()}
        />
      ) : (
        <>
          <div className="pv-switch-row">
            <button
              id={`${id}-switch`}
              type="button"
              role="switch"
              className="pv-switch"
              aria-checked={restricted}
              aria-describedby={`${id}-explain`}
              disabled={pending}
              onClick={toggle}
            >
              <span className="pv-switch-track" aria-hidden="true">
                <span className="pv-switch-thumb" />
              </span>
              <span className="pv-switch-state" aria-hidden="true">
                {restricted ? "On" : "Off"}
              </span>
            </button>
            <label htmlFor={`${id}-switch`} className="pv-switch-label">
              Restrict processing of my data
            </label>
          </div>
          <div id={`${id}-explain`} className={`pv-restriction ${restricted ? "pv-restriction-on" : ""}`} role="status">
            {restricted ? (
              <>
                <p className="alert-title">Processing of your data is restricted.</p>
                {status.data.restrictions.length > 0 && (
                  <p>Stopped until you lift it: {list(status.data.restrictions)}.</p>
                )}
              </>
            ) : (
              <p>
                <strong>Not restricted.</strong> Turning this on pauses the features that use your data, such as
                suggestions, analytics and syncs.
              </p>
            )}
            <p className="small">Still working either way: {list(STILL_WORKING)}.</p>
          </div>
          {pending && <p className="small muted">{restricted ? "Lifting the restriction…" : "Restricting…"}</p>}
          <ErrorMessage
            error={error}
            title={restricted ? "Could not lift the restriction" : "Could not restrict processing"}
          />
        </>
      )}
    </section>
  );
}
