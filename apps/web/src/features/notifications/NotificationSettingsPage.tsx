import { useId } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useDocumentTitle } from "../../components/hooks";
import { Loading } from "../../components/Status";
import { trpc, type RouterOutputs } from "../../trpc";
import { useBrowserNotifications } from "./browserNotifications";
import "./notifications.css";

type Kind = keyof RouterOutputs["notifications"]["preferences"];

/** Every kind in the person's words; the Record makes TypeScript flag a new kind without one. */
const KINDS: Record<Kind, { label: string; hint: string }> = {
  "task.assigned": { label: "A follow-up is assigned to me", hint: "When someone else gives you a follow-up." },
  "task.due": { label: "My follow-up is due", hint: "On the day a follow-up of yours falls due." },
  "member.added": {
    label: "Someone joins a workspace I run",
    hint: "For owners and admins, when an invitation is accepted.",
  },
  "member.role_changed": { label: "My role changes", hint: "When an owner or admin changes what you may do." },
  "gmail.reconnect_needed": {
    label: "Gmail sync needs me",
    hint: "When Google stops accepting the connection and you must reconnect.",
  },
  "webhook.endpoint_disabled": {
    label: "A webhook endpoint is disabled",
    hint: "For owners and admins, when deliveries to an endpoint are stopped.",
  },
  "gdpr.export_ready": { label: "A data export is ready", hint: "When an export you asked for can be downloaded." },
};

/** `/settings/notifications`: which kinds of news notify the signed-in person (saved on each change). */
export default function NotificationSettingsPage() {
  useDocumentTitle("Notification settings");
  const id = useId();
  const utils = trpc.useUtils();
  const preferences = trpc.notifications.preferences.useQuery();
  const update = trpc.notifications.updatePreferences.useMutation({
    onSuccess: (saved) => utils.notifications.preferences.setData(undefined, saved),
  });

  return (
    <div className="stack-lg">
      <h1>Notification settings</h1>
      {preferences.isPending ? (
        <Loading>Loading your settings…</Loading>
      ) : preferences.error ? (
        <ErrorMessage
          error={preferences.error}
          title="Could not load your settings"
          onRetry={() => void preferences.refetch()}
        />
      ) : (
        <fieldset className="card stack-sm" aria-describedby={`${id}-hint`}>
          <legend>Notify me when</legend>
          <p id={`${id}-hint`} className="hint">
            Notifications appear under the bell and, while Rapport is open, as a message at the bottom of the page.
            Changes are saved at once.
          </p>
          {(Object.keys(KINDS) as Kind[]).map((kind) => (
            <label key={kind} className="checkbox notif-kind">
              <input
                type="checkbox"
                checked={
                  update.variables?.preferences[kind] !== undefined && update.isPending
                    ? update.variables.preferences[kind]
                    : preferences.data[kind]
                }
                disabled={update.isPending}
                aria-describedby={`${id}-${kind}`}
                onChange={(event) => update.mutate({ preferences: { [kind]: event.target.checked } })}
              />
              <span>
                {KINDS[kind].label}
                <span id={`${id}-${kind}`} className="block muted small">
                  {KINDS[kind].hint}
                </span>
              </span>
            </label>
          ))}
          <p role="status" className="small muted">
            {update.isPending ? "Saving…" : update.isSuccess ? "Saved." : ""}
          </p>
          {update.error && <ErrorMessage error={update.error} title="Could not save the change" />}
        </fieldset>
      )}
      <BrowserNotifications />
    </div>
  );
}

/** The optional system notifications of this browser (see browserNotifications.ts). */
function BrowserNotifications() {
  const id = useId();
  const { state, asking, turnOn, turnOff } = useBrowserNotifications();
  return (
    <section className="card stack-sm" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Browser notifications</h2>
      <p className="hint" id={`${id}-hint`}>
        While Rapport is open in a tab you are not looking at, your browser can show the notifications above as system
        notifications. Only this browser; off unless you turn it on.
      </p>
      {state === "unsupported" ? (
        <p className="small muted">This browser cannot show notifications.</p>
      ) : (
        <label className="checkbox">
          <input
            type="checkbox"
            checked={state === "on"}
            disabled={asking || state === "blocked"}
            aria-describedby={`${id}-hint`}
            onChange={(event) => (event.target.checked ? void turnOn() : turnOff())}
          />
          <span>Show system notifications from this browser</span>
        </label>
      )}
      <p role="status" className="small muted">
        {asking
          ? "Your browser asks whether Rapport may show notifications…"
          : state === "blocked"
            ? "Your browser blocks notifications from Rapport. Allow them in the site settings of your browser, then come back here."
            : ""}
      </p>
    </section>
  );
}
