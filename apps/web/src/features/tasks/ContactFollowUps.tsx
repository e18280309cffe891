import { useId, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Skeleton } from "../../components/Skeleton";
import { useNow } from "../../components/hooks";
import { localTimeZone } from "../../components/time";
import { trpc, type RouterInputs } from "../../trpc";
import { showToast } from "../../components/toast";
import { FollowUpDialog, type FollowUpContact } from "./FollowUpDialog";
import { TaskList } from "./TaskList";
import "./tasks.css";

/** A contact page's follow-ups: the open ones about this contact (anyone's), and "Add follow-up". */
export function ContactFollowUps({ workspaceId, contact }: { workspaceId: string; contact: FollowUpContact }) {
  const id = useId();
  const now = useNow(60_000);
  const [creating, setCreating] = useState(false);
  const open = trpc.tasks.list.useQuery({
    workspaceId,
    contactId: contact.id,
    assignee: "all",
    view: "open",
    timeZone: localTimeZone(),
    limit: 20,
  });
  const tasks = open.data?.items ?? [];
  return (
    <section className="card ct-panel stack-sm" aria-labelledby={`${id}-title`}>
      <div className="ct-section-head">
        <h2 id={`${id}-title`}>Follow-ups</h2>
        <button type="button" className="button-secondary button-small" onClick={() => setCreating(true)}>
          Add follow-up
        </button>
      </div>
      {open.isPending ? (
        <Skeleton shape="list" rows={2} label="Loading follow-ups…" />
      ) : open.error ? (
        <ErrorMessage error={open.error} title="Could not load the follow-ups" onRetry={() => void open.refetch()} />
      ) : tasks.length === 0 ? (
        <p className="muted small">No open follow-ups.</p>
      ) : (
        <TaskList
          workspaceId={workspaceId}
          tasks={tasks}
          label={`Follow-ups about ${contact.name}`}
          now={now}
          hideContact
        />
      )}
      <KeepInTouch workspaceId={workspaceId} contactId={contact.id} />
      {creating && (
        <FollowUpDialog
          workspaceId={workspaceId}
          draft={{ title: `Follow up with ${contact.name}`, contact }}
          onClose={() => setCreating(false)}
        />
      )}
    </section>
  );
}

type KeepInTouchInput = RouterInputs["reconnect"]["setKeepInTouch"]["keepInTouch"];
const PRESETS = { week: 7, month: 30, quarter: 91 } as const;
type Choice = "learned" | keyof typeof PRESETS | "custom";

function choiceOf(days: number | null): Choice {
  if (days === null) return "learned";
  const preset = (Object.keys(PRESETS) as (keyof typeof PRESETS)[]).find((key) => PRESETS[key] === days);
  return preset ?? "custom";
}

/** How often to keep in touch: learned from the history, every week / month / quarter, or every N days. */
function KeepInTouch({ workspaceId, contactId }: { workspaceId: string; contactId: string }) {
  const id = useId();
  const utils = trpc.useUtils();
  const current = trpc.reconnect.get.useQuery({ workspaceId, contactId });
  const [custom, setCustom] = useState<string | null>(null);
  const save = trpc.reconnect.setKeepInTouch.useMutation({
    onSuccess: (row) => {
      utils.reconnect.get.setData({ workspaceId, contactId }, (old) => (old ? { ...old, ...row } : old));
      void utils.reconnect.list.invalidate({ workspaceId });
      setCustom(null);
      showToast({ message: "Keep-in-touch frequency saved." });
    },
  });
  const days = current.data?.keepInTouchDays ?? null;
  const choice: Choice = custom !== null ? "custom" : choiceOf(days);
  const set = (keepInTouch: KeepInTouchInput) => save.mutate({ workspaceId, contactId, keepInTouch });

  return (
    <div className="tk-keep stack-sm">
      <label htmlFor={`${id}-every`} className="tk-label">
        Keep in touch
      </label>
      <select
        id={`${id}-every`}
        value={choice}
        disabled={current.isPending || save.isPending}
        aria-describedby={`${id}-hint`}
        onChange={(event) => {
          const next = event.target.value as Choice;
          if (next === "custom") setCustom(String(days ?? 14));
          else set(next === "learned" ? null : { every: next });
        }}
      >
        <option value="learned">As usual (learned from your history)</option>
        <option value="week">Every week</option>
        <option value="month">Every month</option>
        <option value="quarter">Every quarter</option>
        <option value="custom">Every … days</option>
      </select>
      {choice === "custom" && (
        <form
          className="tk-custom"
          onSubmit={(event) => {
            event.preventDefault();
            set({ every: "custom", days: Number(custom ?? days) });
          }}
        >
          <label htmlFor={`${id}-days`}>Days</label>
          <input
            id={`${id}-days`}
            type="number"
            inputMode="numeric"
            min={1}
            max={730}
            value={custom ?? String(days ?? "")}
            onChange={(event) => setCustom(event.target.value)}
          />
          <button type="submit" className="button-secondary button-small" disabled={save.isPending}>
            Save
          </button>
        </form>
      )}
      <p className="hint" id={`${id}-hint`}>
        Rapport suggests reconnecting when it has been longer than this.
      </p>
      {save.error && <ErrorMessage error={save.error} title="Could not save the frequency" />}
    </div>
  );
}
