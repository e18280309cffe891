/**
 * Integrations: the signed-in member's own Gmail connection in this workspace. Connect (Google's
 * consent page, back through /integrations), the connection's state at all times — address,
 * status, last sync and its counts, the next sync's countdown, the last error with Reconnect —
 * Sync now with a live progress bar, the sync frequency, the mailbox's settings (the owner's other
 * addresses, whether deleted mail deletes its interactions), pause/resume and disconnect.
 */
import { GMAIL_MAX_ALIASES, gmailSetFrequencyInput, gmailUpdateSettingsInput } from "../../schemas";
import { useEffect, useId, useMemo, useState } from "react";
import { useForm } from "react-hook-form";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { ProgressBar } from "../../components/ProgressBar";
import { SelectField, TextAreaField } from "../../components/fields";
import { schemaResolver } from "../../components/form";
import { useNow } from "../../components/hooks";
import { formatAbsolute, formatRelative } from "../../components/time";
import { trpc, type RouterInputs, type RouterOutputs } from "../../trpc";
import { isJobFinished, useJobProgress } from "../jobs/useJobProgress";
import { useWorkspace } from "../shell/workspace";
import "./integrations.css";
import { Skeleton } from "../../components/Skeleton";

type GmailStatus = RouterOutputs["gmail"]["status"];

/** How often a sync may run, in minutes (the server allows 5 to 1,440). */
const FREQUENCIES: { minutes: number; label: string }[] = [
  { minutes: 5, label: "Every 5 minutes" },
  { minutes: 15, label: "Every 15 minutes" },
  { minutes: 30, label: "Every 30 minutes" },
  { minutes: 60, label: "Every hour" },
  { minutes: 240, label: "Every 4 hours" },
  { minutes: 1_440, label: "Once a day" },
];

const STATUS_LABELS: Record<NonNullable<GmailStatus["status"]>, string> = {
  active: "Active",
  paused: "Paused",
  error: "Needs reconnecting",
};

const integerFormat = new Intl.NumberFormat();

export default function IntegrationsPage() {
  const workspace = useWorkspace();
  return (
    <div className="stack">
      <h1>Integrations</h1>
      <GmailCard workspaceId={workspace.id} />
    </div>
  );
}

function GmailCard({ workspaceId }: { workspaceId: string }) {
  const id = useId();
  const utils = trpc.useUtils();
  // When "Sync now" was pressed: until a sync has run since, one is queued and the page waits for it.
  const [requestedAt, setRequestedAt] = useState<number | null>(null);
  const [followed, setFollowed] = useState<string | null>(null);
  // A running sync's progress comes live (jobs.progress); its state is read again once it ends.
  const live = useJobProgress(followed);
  const status = trpc.gmail.status.useQuery(
    { workspaceId },
    // While a sync is awaited (the first after connecting, or one asked for) or runs without a live
    // progress to follow, the state is polled every second; otherwise it is refreshed now and then.
    {
      refetchInterval: (query) =>
        query.state.data &&
        syncAwaited(query.state.data, requestedAt) &&
        !(query.state.data.syncing && query.state.data.progress?.jobId && !live.unfollowable)
          ? 1_000
          : 15_000,
    },
  );
  const read = status.data;
  const runJobId = read?.syncing ? (read.progress?.jobId ?? null) : null;
  useEffect(() => {
    if (runJobId) setFollowed(runJobId);
  }, [runJobId]);
  const runEnded = isJobFinished(live.progress);
  const { refetch } = status;
  useEffect(() => {
    if (runEnded) void refetch();
  }, [runEnded, refetch]);
  // The run's figures as they come live, in the status's shape.
  const liveProgress = live.progress;
  const data = useMemo(
    () =>
      read?.syncing && read.progress && liveProgress && liveProgress.jobId === read.progress.jobId && !runEnded
        ? {
            ...read,
            progress: {
              ...read.progress,
              processed: liveProgress.done,
              total: liveProgress.total ?? 0,
              etaSec: liveProgress.etaSec,
            },
          }
        : read,
    [read, liveProgress, runEnded],
  );
  const apply = (next: GmailStatus) => utils.gmail.status.setData({ workspaceId }, next);
  const connect = trpc.gmail.authUrl.useMutation({
    onSuccess: ({ url }) => window.location.assign(url),
  });
  const syncNow = trpc.gmail.syncNow.useMutation({
    onSuccess: (next) => {
      setRequestedAt(Date.now());
      apply(next);
    },
  });
  const queued = data ? !data.syncing && syncAwaited(data, requestedAt) : false;
  const pause = trpc.gmail.pause.useMutation({ onSuccess: apply });
  const resume = trpc.gmail.resume.useMutation({ onSuccess: apply });
  const disconnect = trpc.gmail.disconnect.useMutation({
    onSuccess: async () => {
      setConfirming(false);
      await utils.gmail.status.invalidate({ workspaceId });
    },
  });
  const [confirming, setConfirming] = useState(false);

  return (
    <section className="card stack gmail-card" aria-labelledby={`${id}-title`}>
      <div className="gmail-head">
        <h2 id={`${id}-title`}>Gmail</h2>
        {data?.demo && (
          <span className="chip chip-demo" title="A local stand-in for Google with a generated mailbox">
            Demo Google
          </span>
        )}
        {data?.connected && data.status && (
          <span className={`chip gmail-status gmail-status-${data.status}`}>{STATUS_LABELS[data.status]}</span>
        )}
      </div>
      {status.isPending ? (
        <Skeleton shape="text" rows={3} label="Loading the Gmail connection…" />
      ) : !data ? (
        <ErrorMessage
          error={status.error}
          title="Could not load the Gmail connection"
          onRetry={() => void status.refetch()}
        />
      ) : !data.configured ? (
        <p className="muted">
          Gmail sync is not set up on this server yet. Ask an administrator of this Rapport server to turn it on.
        </p>
      ) : !data.connected ? (
        <div className="stack">
          <p>
            Connect your mailbox and everyone you email becomes a contact with a timeline. Rapport asks Google for
            read-only access to message headers it imports (From, To, Cc, Subject, Date) — never to send or change mail.
          </p>
          <div>
            <button type="button" onClick={() => connect.mutate({ workspaceId })} disabled={connect.isPending}>
              {connect.isPending ? "Opening Google…" : "Connect Gmail"}
            </button>
          </div>
          <ErrorMessage error={connect.error} title="Could not start connecting Gmail" />
        </div>
      ) : (
        <>
          <Connection
            data={data}
            onReconnect={() => connect.mutate({ workspaceId })}
            reconnecting={connect.isPending}
          />
          <ErrorMessage error={connect.error} title="Could not start reconnecting Gmail" />
          <div className="gmail-actions button-row">
            <button
              type="button"
              onClick={() => syncNow.mutate({ workspaceId })}
              disabled={syncNow.isPending || data.syncing || queued || data.status !== "active"}
            >
              {data.syncing ? "Syncing…" : queued ? "Sync queued…" : "Sync now"}
            </button>
            {data.status === "paused" ? (
              <button
                type="button"
                className="button-secondary"
                onClick={() => resume.mutate({ workspaceId })}
                disabled={resume.isPending}
              >
                Resume
              </button>
            ) : data.status === "active" ? (
              <button
                type="button"
                className="button-secondary"
                onClick={() => pause.mutate({ workspaceId })}
                disabled={pause.isPending}
              >
                Pause
              </button>
            ) : null}
            <button type="button" className="button-danger-outline" onClick={() => setConfirming(true)}>
              Disconnect
            </button>
          </div>
          <ErrorMessage error={syncNow.error ?? pause.error ?? resume.error} title="Gmail did not accept that" />
          <FrequencyForm workspaceId={workspaceId} current={data.syncFrequencyMin} onSaved={apply} />
          <SettingsForm workspaceId={workspaceId} data={data} onSaved={apply} />
          <ConfirmDialog
            open={confirming}
            title="Disconnect Gmail?"
            confirmLabel="Yes, disconnect"
            destructive
            pending={disconnect.isPending}
            error={disconnect.error ? <ErrorMessage error={disconnect.error} /> : undefined}
            onConfirm={() => disconnect.mutate({ workspaceId })}
            onCancel={() => setConfirming(false)}
          >
            <p>
              Rapport stops syncing {data.googleEmail} and revokes its access at Google. The contacts and interactions
              already imported stay in the workspace.
            </p>
          </ConfirmDialog>
        </>
      )}
    </section>
  );
}

/**
 * Whether a sync is running or about to: the connection's first, or one asked for at `requestedAt`
 * (epoch ms) that has not finished since. A request older than a minute is no longer waited for.
 */
function syncAwaited(data: GmailStatus, requestedAt: number | null): boolean {
  if (!data.connected || data.status !== "active") return false;
  if (data.syncing || !data.lastSyncAt) return true;
  return requestedAt !== null && Date.now() - requestedAt < 60_000 && data.lastSyncAt.getTime() < requestedAt;
}

function Connection({
  data,
  onReconnect,
  reconnecting,
}: {
  data: GmailStatus;
  onReconnect: () => void;
  reconnecting: boolean;
}) {
  const now = useNow(1_000);
  // The countdown runs from when this status was read (adjusted while rendering a new one).
  const [read, setRead] = useState({ data, at: now });
  if (read.data !== data) setRead({ data, at: Date.now() });
  const readAt = read.data === data ? read.at : Date.now();
  const nextIn =
    data.nextSyncInSec === null ? null : Math.max(0, data.nextSyncInSec - Math.floor((now - readAt) / 1000));
  return (
    <div className="stack">
      <dl className="gmail-facts">
        <div>
          <dt>Mailbox</dt>
          <dd>{data.googleEmail}</dd>
        </div>
        <div>
          <dt>Last sync</dt>
          <dd>
            {data.lastSyncAt ? (
              <time dateTime={data.lastSyncAt.toISOString()} title={formatAbsolute(data.lastSyncAt)}>
                {formatRelative(data.lastSyncAt, now)}
              </time>
            ) : (
              "Not yet"
            )}
          </dd>
        </div>
        <div>
          <dt>Imported</dt>
          <dd>
            {integerFormat.format(data.contactsSynced)} contacts, {integerFormat.format(data.interactionsLogged)} emails
          </dd>
        </div>
        <div>
          <dt>Next sync</dt>
          <dd aria-live="off">
            {data.syncing
              ? "Running now"
              : data.status === "paused"
                ? "Paused"
                : nextIn === null
                  ? "Not scheduled"
                  : nextIn === 0
                    ? "Due now"
                    : `In ${formatCountdown(nextIn)}`}
          </dd>
        </div>
      </dl>
      {data.syncing && data.progress && <SyncProgress progress={data.progress} />}
      {data.skipped && <p className="alert alert-info">{data.skipped}</p>}
      {data.lastError && (
        <div className="alert alert-error" role="alert">
          <p>{data.lastError}</p>
          {data.status === "error" && (
            <button type="button" onClick={onReconnect} disabled={reconnecting}>
              {reconnecting ? "Opening Google…" : "Reconnect"}
            </button>
          )}
        </div>
      )}
    </div>
  );
}

function SyncProgress({
  progress,
}: {
  progress: Pick<NonNullable<GmailStatus["progress"]>, "processed" | "total" | "etaSec">;
}) {
  const known = progress.total > 0;
  const text = `Syncing: ${integerFormat.format(progress.processed)}${known ? ` of ${integerFormat.format(progress.total)}` : ""} emails${
    progress.etaSec !== null && progress.etaSec > 0 ? `, about ${formatCountdown(progress.etaSec)} left` : ""
  }`;
  return (
    <div className="gmail-progress stack-sm">
      <p className="small" aria-hidden="true">
        {text}
      </p>
      <ProgressBar percent={known ? Math.min(99, (progress.processed / progress.total) * 100) : null} label={text} />
    </div>
  );
}

type FrequencyValues = { minutes: string };

function FrequencyForm({
  workspaceId,
  current,
  onSaved,
}: {
  workspaceId: string;
  current: number;
  onSaved: (status: GmailStatus) => void;
}) {
  const form = useForm<FrequencyValues, unknown, RouterInputs["gmail"]["setFrequency"]>({
    defaultValues: { minutes: String(current) },
    resolver: schemaResolver(gmailSetFrequencyInput, (values: FrequencyValues) => ({
      workspaceId,
      minutes: Number(values.minutes),
    })),
  });
  const save = trpc.gmail.setFrequency.useMutation({
    onSuccess: (status) => {
      onSaved(status);
      form.reset({ minutes: String(status.syncFrequencyMin) });
    },
  });
  const options = FREQUENCIES.some((f) => f.minutes === current)
    ? FREQUENCIES
    : [...FREQUENCIES, { minutes: current, label: `Every ${current} minutes` }].sort((a, b) => a.minutes - b.minutes);
  return (
    <form
      className="inline-form"
      aria-label="Sync frequency"
      noValidate
      onSubmit={(event) => void form.handleSubmit((input) => save.mutate(input))(event)}
    >
      <SelectField label="Sync" error={form.formState.errors.minutes?.message} {...form.register("minutes")}>
        {options.map((option) => (
          <option key={option.minutes} value={option.minutes}>
            {option.label}
          </option>
        ))}
      </SelectField>
      <button type="submit" className="button-secondary" disabled={save.isPending || !form.formState.isDirty}>
        {save.isPending ? "Saving…" : "Save"}
      </button>
      <ErrorMessage error={save.error} title="Could not change the frequency" />
    </form>
  );
}

type SettingsValues = { aliases: string; deleteWithMessages: boolean };

/** One address per line (commas and spaces separate too); blank lines are nothing. */
function aliasesOf(text: string): string[] {
  return text.split(/[\s,;]+/).filter((address) => address.length > 0);
}

function SettingsForm({
  workspaceId,
  data,
  onSaved,
}: {
  workspaceId: string;
  data: GmailStatus;
  onSaved: (status: GmailStatus) => void;
}) {
  const saved = (status: GmailStatus): SettingsValues => ({
    aliases: status.aliases.join("\n"),
    deleteWithMessages: status.deleteWithMessages,
  });
  const form = useForm<SettingsValues, unknown, RouterInputs["gmail"]["updateSettings"]>({
    defaultValues: saved(data),
    resolver: schemaResolver(gmailUpdateSettingsInput, (values: SettingsValues) => ({
      workspaceId,
      aliases: aliasesOf(values.aliases),
      deleteWithMessages: values.deleteWithMessages,
    })),
  });
  const save = trpc.gmail.updateSettings.useMutation({
    onSuccess: (status) => {
      onSaved(status);
      form.reset(saved(status));
    },
  });
  return (
    <details className="gmail-settings">
      <summary>Mailbox settings</summary>
      <form
        className="stack"
        aria-label="Mailbox settings"
        noValidate
        onSubmit={(event) => void form.handleSubmit((input) => save.mutate(input))(event)}
      >
        <TextAreaField
          label="Your other addresses"
          rows={3}
          placeholder="old.address@example.com"
          error={form.formState.errors.aliases?.message}
          hint={
            <>
              Mail from or to these is yours: they never become contacts. One per line, up to {GMAIL_MAX_ALIASES}
              {data.sendAsAliases.length > 0 ? `. Already known from Gmail: ${data.sendAsAliases.join(", ")}.` : "."}
            </>
          }
          {...form.register("aliases")}
        />
        <label className="checkbox">
          <input type="checkbox" {...form.register("deleteWithMessages")} />
          Delete an email from Rapport when it is deleted in Gmail (off: the record of contact stays)
        </label>
        <div>
          <button type="submit" className="button-secondary" disabled={save.isPending || !form.formState.isDirty}>
            {save.isPending ? "Saving…" : "Save settings"}
          </button>
        </div>
        <ErrorMessage error={save.error} title="Could not save the mailbox settings" />
      </form>
    </details>
  );
}

function formatCountdown(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}
