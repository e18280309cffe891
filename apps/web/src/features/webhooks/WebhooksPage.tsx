import { keepPreviousData } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { useForm } from "react-hook-form";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { ProgressBar } from "../../components/ProgressBar";
import { focusFirstInvalid, SelectField, TextField } from "../../components/fields";
import { schemaResolver } from "../../components/form";
import { useNow } from "../../components/hooks";
import { dateTimeFormat, formatRelative } from "../../components/time";
import { fieldError } from "../../errors";
import { createWebhookInput } from "../../schemas";
import { trpc, type RouterInputs, type RouterOutputs } from "../../trpc";
import { isJobFinished, useJobProgress } from "../jobs/useJobProgress";
import { RequireRole } from "../shell/RequireRole";
import "./webhooks.css";
import { Skeleton } from "../../components/Skeleton";
import { TableScroll } from "../../components/TableScroll";

type Endpoint = RouterOutputs["webhooks"]["list"][number];
type Message = RouterOutputs["webhooks"]["messages"]["items"][number];
type Attempt = RouterOutputs["webhooks"]["attempts"]["attempts"][number];
type MessageStatus = Message["status"];

const PAGE_SIZE = 25;
/** How often a running recovery's status is asked for, only when its progress cannot be followed live. */
const RECOVER_POLL_MS = 1_000;
const DAY_MS = 86_400_000;

export default function WebhooksPage() {
  return (
    <RequireRole minimum="admin" title="Webhooks" page="webhooks page">
      {(workspace) => <Webhooks workspaceId={workspace.id} />}
    </RequireRole>
  );
}

/** A secret to show once: just created, or just rotated. */
interface ShownSecret {
  title: string;
  secret: string;
  note: string;
}

function Webhooks({ workspaceId }: { workspaceId: string }) {
  const [secret, setSecret] = useState<ShownSecret | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const endpoints = trpc.webhooks.list.useQuery({ workspaceId }, { refetchInterval: 15_000 });
  const current = endpoints.data?.find((endpoint) => endpoint.id === selected) ?? null;

  return (
    <div className="stack-lg">
      <div className="stack">
        <h1>Webhooks</h1>
        <p className="muted">
          Rapport POSTs each event your endpoints subscribe to, signed per Standard Webhooks, and retries failed
          deliveries for about a day and a half. An endpoint whose deliveries only fail for 5 days is disabled.
        </p>
      </div>

      <div aria-live="polite">{secret && <SecretOnce shown={secret} onDismiss={() => setSecret(null)} />}</div>

      <CreateEndpoint
        workspaceId={workspaceId}
        onCreated={(created) => {
          setSelected(created.endpoint.id);
          setSecret({
            title: `Endpoint ${created.endpoint.url} created`,
            secret: created.secret,
            note: "Copy the signing secret now: it is shown only once. Receivers verify signatures with it.",
          });
        }}
      />

      <section className="card stack" aria-labelledby="webhook-endpoints">
        <h2 id="webhook-endpoints">Endpoints{endpoints.data ? ` (${endpoints.data.length})` : ""}</h2>
        {endpoints.isPending ? (
          <Skeleton shape="table" rows={3} label="Loading endpoints…" />
        ) : endpoints.error ? (
          <ErrorMessage
            error={endpoints.error}
            title="Could not load the endpoints"
            onRetry={() => void endpoints.refetch()}
          />
        ) : endpoints.data.length === 0 ? (
          <p className="empty">No endpoints yet.</p>
        ) : (
          <ul className="wh-endpoints">
            {endpoints.data.map((endpoint) => (
              <EndpointRow
                key={endpoint.id}
                workspaceId={workspaceId}
                endpoint={endpoint}
                selected={endpoint.id === selected}
                onSelect={() => setSelected(endpoint.id === selected ? null : endpoint.id)}
                onSecret={setSecret}
                onDeleted={() => {
                  if (endpoint.id === selected) setSelected(null);
                }}
              />
            ))}
          </ul>
        )}
      </section>

      {current && <EndpointLog key={current.id} workspaceId={workspaceId} endpoint={current} />}
    </div>
  );
}

function SecretOnce({ shown, onDismiss }: { shown: ShownSecret; onDismiss: () => void }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "select" | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(shown.secret);
      setCopied("yes");
    } catch {
      // No clipboard access (permissions, insecure origin): select it for Ctrl+C instead.
      input.current?.select();
      setCopied("select");
    }
  };
  return (
    <div className="alert alert-success stack" role="group" aria-labelledby={`${id}-title`}>
      <p id={`${id}-title`} className="alert-title">
        {shown.title}
      </p>
      <p className="small">{shown.note}</p>
      <div className="inline-form">
        <TextField
          label="Signing secret"
          className="grow"
          inputRef={input}
          readOnly
          value={shown.secret}
          onFocus={(event) => event.target.select()}
        />
        <button type="button" onClick={() => void copy()}>
          Copy secret
        </button>
        <button type="button" className="button-secondary" onClick={onDismiss}>
          Done
        </button>
      </div>
      <p className="small" role="status">
        {copied === "yes"
          ? "Secret copied."
          : copied === "select"
            ? "Press Ctrl+C (⌘C) to copy the selected secret."
            : ""}
      </p>
    </div>
  );
}

interface CreateValues {
  url: string;
  description: string;
  allEvents: boolean;
  eventTypes: string[];
}
const EMPTY: CreateValues = { url: "", description: "", allEvents: true, eventTypes: [] };

function CreateEndpoint({
  workspaceId,
  onCreated,
}: {
  workspaceId: string;
  onCreated: (created: RouterOutputs["webhooks"]["create"]) => void;
}) {
  const id = useId();
  const utils = trpc.useUtils();
  const formRef = useRef<HTMLFormElement>(null);
  const [open, setOpen] = useState(false);
  const catalogue = trpc.webhooks.eventTypes.useQuery({ workspaceId }, { enabled: open, staleTime: Infinity });
  const form = useForm<CreateValues, unknown, Omit<RouterInputs["webhooks"]["create"], "workspaceId">>({
    mode: "onTouched",
    defaultValues: EMPTY,
    resolver: schemaResolver(createWebhookInput, (values: CreateValues) => ({
      url: values.url.trim(),
      description: values.description,
      eventTypes: values.allEvents ? ["*"] : values.eventTypes,
    })),
  });
  const create = trpc.webhooks.create.useMutation();
  const allEvents = form.watch("allEvents");
  const error = (field: "url" | "description" | "eventTypes") =>
    form.formState.errors[field]?.message ?? fieldError(create.error, field);

  const submit = form.handleSubmit(
    (input) => {
      create.mutate(
        { workspaceId, ...input },
        {
          onSuccess: (created) => {
            form.reset(EMPTY);
            create.reset();
            setOpen(false);
            onCreated(created);
            void utils.webhooks.list.invalidate({ workspaceId });
          },
        },
      );
    },
    () => focusFirstInvalid(formRef.current),
  );

  if (!open)
    return (
      <div>
        <button type="button" onClick={() => setOpen(true)}>
          Add endpoint
        </button>
      </div>
    );

  const eventTypesError = error("eventTypes");
  return (
    <section className="card stack" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Add an endpoint</h2>
      <form
        ref={formRef}
        className="stack"
        aria-labelledby={`${id}-title`}
        onSubmit={(event) => void submit(event)}
        noValidate
      >
        <TextField
          label="URL"
          type="url"
          autoComplete="off"
          required
          placeholder="https://example.com/webhooks/rapport"
          {...form.register("url")}
          error={error("url")}
          hint="https; Rapport refuses private and loopback addresses."
        />
        <TextField
          label="Description"
          autoComplete="off"
          maxLength={500}
          {...form.register("description")}
          error={error("description")}
        />
        <fieldset className="wh-types" aria-describedby={eventTypesError ? `${id}-types-error` : undefined}>
          <legend>Events</legend>
          <label className="checkbox">
            <input type="checkbox" {...form.register("allEvents")} /> All events, including types added later
          </label>
          {!allEvents &&
            (catalogue.isPending ? (
              <Skeleton shape="text" rows={3} label="Loading event types…" />
            ) : catalogue.error ? (
              <ErrorMessage error={catalogue.error} title="Could not load the event types" />
            ) : (
              <ul className="wh-type-list">
                {catalogue.data.map((entry) => (
                  <li key={entry.type}>
                    <label className="checkbox">
                      <input type="checkbox" value={entry.type} {...form.register("eventTypes")} />{" "}
                      <code>{entry.type}</code> <span className="muted small">{entry.description}</span>
                    </label>
                  </li>
                ))}
              </ul>
            ))}
          {eventTypesError && (
            <p id={`${id}-types-error`} className="field-error">
              {eventTypesError}
            </p>
          )}
        </fieldset>
        <ErrorMessage error={create.error} title="Could not create the endpoint" />
        <div className="button-row">
          <button type="submit" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create endpoint"}
          </button>
          <button
            type="button"
            className="button-secondary"
            onClick={() => {
              form.reset(EMPTY);
              create.reset();
              setOpen(false);
            }}
          >
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}

function percent(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}

function EndpointRow({
  workspaceId,
  endpoint,
  selected,
  onSelect,
  onSecret,
  onDeleted,
}: {
  workspaceId: string;
  endpoint: Endpoint;
  selected: boolean;
  onSelect: () => void;
  onSecret: (shown: ShownSecret) => void;
  onDeleted: () => void;
}) {
  const utils = trpc.useUtils();
  const now = useNow(60_000);
  const [confirm, setConfirm] = useState<"delete" | "rotate" | null>(null);
  const [testResult, setTestResult] = useState<Attempt | null>(null);
  const refresh = () => utils.webhooks.list.invalidate({ workspaceId });
  const update = trpc.webhooks.update.useMutation({ onSuccess: () => void refresh() });
  const remove = trpc.webhooks.delete.useMutation();
  const rotate = trpc.webhooks.rotateSecret.useMutation();
  const sendTest = trpc.webhooks.sendTest.useMutation({
    onSuccess: (attempt) => {
      setTestResult(attempt);
      void refresh();
      void utils.webhooks.messages.invalidate();
    },
  });
  const { health } = endpoint;
  const name = endpoint.description ? `${endpoint.description} (${endpoint.url})` : endpoint.url;

  return (
    <li className={`wh-endpoint${selected ? " wh-selected" : ""}`} aria-label={endpoint.url}>
      <div className="wh-endpoint-head">
        <div className="stack-sm grow">
          <span className="wh-url truncate" title={endpoint.url}>
            {endpoint.url}
          </span>
          {endpoint.description && <span className="muted small">{endpoint.description}</span>}
          <span className="small">
            {endpoint.eventTypes.includes("*") ? "All events" : endpoint.eventTypes.join(", ")}
          </span>
        </div>
        {endpoint.enabled ? (
          <span className="wh-chip wh-chip-delivered">Enabled</span>
        ) : (
          <span className="wh-chip wh-chip-failed">Disabled</span>
        )}
      </div>
      {!endpoint.enabled && endpoint.disabledReason && (
        <p className="alert alert-error small">
          Disabled{endpoint.disabledAt ? ` ${formatRelative(endpoint.disabledAt, now)}` : ""}: {endpoint.disabledReason}
        </p>
      )}
      <dl className="wh-health">
        <div>
          <dt>Success rate (24 h)</dt>
          <dd>
            {health.successRate24h === null
              ? "no attempts"
              : `${percent(health.successRate24h)} of ${health.attempts24h}`}
          </dd>
        </div>
        <div>
          <dt>Last status</dt>
          <dd>
            {health.lastStatusCode === null
              ? "—"
              : `${health.lastStatusCode === 0 ? "no response" : health.lastStatusCode}${
                  health.lastAttemptAt ? ` · ${formatRelative(health.lastAttemptAt, now)}` : ""
                }`}
          </dd>
        </div>
        <div>
          <dt>Rate limit</dt>
          <dd>{endpoint.rateLimitPerSecond}/s</dd>
        </div>
      </dl>
      <div className="button-row">
        <button
          type="button"
          className="button-secondary button-small"
          aria-expanded={selected}
          aria-label={`${selected ? "Hide messages" : "Messages"} of ${name}`}
          onClick={onSelect}
        >
          {selected ? "Hide messages" : "Messages"}
        </button>
        <button
          type="button"
          className="button-secondary button-small"
          disabled={sendTest.isPending}
          aria-label={`Send test to ${name}`}
          onClick={() => sendTest.mutate({ workspaceId, endpointId: endpoint.id })}
        >
          {sendTest.isPending ? "Sending…" : "Send test"}
        </button>
        <button
          type="button"
          className="button-secondary button-small"
          aria-label={`Rotate secret of ${name}`}
          onClick={() => setConfirm("rotate")}
        >
          Rotate secret
        </button>
        <button
          type="button"
          className="button-secondary button-small"
          disabled={update.isPending}
          aria-label={`${endpoint.enabled ? "Disable" : "Enable"} ${name}`}
          onClick={() => update.mutate({ workspaceId, endpointId: endpoint.id, enabled: !endpoint.enabled })}
        >
          {endpoint.enabled ? "Disable" : "Enable"}
        </button>
        <button
          type="button"
          className="button-danger button-small"
          aria-label={`Delete ${name}`}
          onClick={() => setConfirm("delete")}
        >
          Delete
        </button>
      </div>
      <div aria-live="polite">
        {testResult && (
          <p className={`alert small ${testResult.ok ? "alert-success" : "alert-error"}`}>
            Test message: {attemptSummary(testResult)}
          </p>
        )}
      </div>
      <ErrorMessage error={sendTest.error ?? update.error} title="That did not work" />

      <ConfirmDialog
        open={confirm === "rotate"}
        title="Rotate the signing secret?"
        confirmLabel="Rotate secret"
        pending={rotate.isPending}
        error={rotate.error ? <ErrorMessage error={rotate.error} title="Could not rotate" /> : undefined}
        onCancel={() => setConfirm(null)}
        onConfirm={() =>
          rotate.mutate(
            { workspaceId, endpointId: endpoint.id },
            {
              onSuccess: ({ secret, previousSecretExpiresAt }) => {
                setConfirm(null);
                onSecret({
                  title: `New secret for ${endpoint.url}`,
                  secret,
                  note: `Copy it now: it is shown only once. The previous secret keeps signing too until ${dateTimeFormat.format(previousSecretExpiresAt)}, so receivers can switch over.`,
                });
                void refresh();
              },
            },
          )
        }
      >
        <p>Messages are signed with the new secret and, for 24 hours, also with the current one.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm === "delete"}
        title={`Delete ${endpoint.url}?`}
        confirmLabel="Delete endpoint"
        destructive
        pending={remove.isPending}
        error={remove.error ? <ErrorMessage error={remove.error} title="Could not delete" /> : undefined}
        onCancel={() => setConfirm(null)}
        onConfirm={() =>
          remove.mutate(
            { workspaceId, endpointId: endpoint.id },
            {
              onSuccess: () => {
                setConfirm(null);
                onDeleted();
                void refresh();
              },
            },
          )
        }
      >
        <p>Its messages and their attempts are deleted with it. Nothing more is sent to this URL.</p>
      </ConfirmDialog>
    </li>
  );
}

function attemptSummary(attempt: Attempt): string {
  const status = attempt.statusCode === 0 ? "no response" : `HTTP ${attempt.statusCode}`;
  return `${attempt.ok ? "delivered" : "failed"} (${status}, ${attempt.durationMs} ms)${
    attempt.error && !attempt.ok ? ` — ${attempt.error}` : ""
  }`;
}

const STATUS_LABELS: Record<MessageStatus, string> = {
  pending: "Pending",
  delivered: "Delivered",
  failed: "Failed",
};

function StatusChip({ status }: { status: MessageStatus }) {
  return <span className={`wh-chip wh-chip-${status}`}>{STATUS_LABELS[status]}</span>;
}

function EndpointLog({ workspaceId, endpoint }: { workspaceId: string; endpoint: Endpoint }) {
  const id = useId();
  const now = useNow(30_000);
  const [status, setStatus] = useState<MessageStatus | "">("");
  const [open, setOpen] = useState<string | null>(null);
  const log = trpc.webhooks.messages.useInfiniteQuery(
    { workspaceId, endpointId: endpoint.id, limit: PAGE_SIZE, ...(status && { status }) },
    {
      getNextPageParam: (page) => page.nextCursor ?? undefined,
      placeholderData: keepPreviousData,
      refetchInterval: 10_000,
    },
  );
  const messages = log.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <section className="card stack" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>
        Messages to <span className="wh-url">{endpoint.url}</span>
      </h2>
      <Recover workspaceId={workspaceId} endpointId={endpoint.id} />
      <div className="inline-form">
        <SelectField
          label="Status"
          value={status}
          onChange={(event) => setStatus(event.target.value as MessageStatus | "")}
        >
          <option value="">All</option>
          <option value="pending">Pending</option>
          <option value="delivered">Delivered</option>
          <option value="failed">Failed</option>
        </SelectField>
      </div>
      {log.isPending ? (
        <Skeleton shape="table" rows={5} label="Loading messages…" />
      ) : log.error ? (
        <ErrorMessage error={log.error} title="Could not load the messages" onRetry={() => void log.refetch()} />
      ) : messages.length === 0 ? (
        <p className="empty">{status ? `No ${STATUS_LABELS[status].toLowerCase()} messages.` : "No messages yet."}</p>
      ) : (
        <TableScroll>
          <table className="data-table" aria-labelledby={`${id}-title`}>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last status</th>
                <th scope="col">
                  <span className="visually-hidden">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {messages.map((message) => (
                <MessageRows
                  key={message.id}
                  workspaceId={workspaceId}
                  message={message}
                  now={now}
                  open={open === message.id}
                  onToggle={() => setOpen(open === message.id ? null : message.id)}
                />
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {log.hasNextPage && (
        <button
          type="button"
          className="button-secondary"
          disabled={log.isFetchingNextPage}
          onClick={() => void log.fetchNextPage()}
        >
          {log.isFetchingNextPage ? "Loading…" : "Older messages"}
        </button>
      )}
    </section>
  );
}

function MessageRows({
  workspaceId,
  message,
  now,
  open,
  onToggle,
}: {
  workspaceId: string;
  message: Message;
  now: number;
  open: boolean;
  onToggle: () => void;
}) {
  const detailsId = useId();
  return (
    <>
      <tr>
        <td>
          <code>{message.eventType}</code>
        </td>
        <td>
          <time dateTime={message.createdAt.toISOString()} title={dateTimeFormat.format(message.createdAt)}>
            {formatRelative(message.createdAt, now)}
          </time>
        </td>
        <td>
          <StatusChip status={message.status} />
          {message.status === "pending" && message.nextAttemptAt && (
            <span className="muted small"> next {formatRelative(message.nextAttemptAt, now)}</span>
          )}
        </td>
        <td>{message.attempts}</td>
        <td>
          {message.lastStatusCode === null
            ? "—"
            : message.lastStatusCode === 0
              ? "no response"
              : message.lastStatusCode}
        </td>
        <td>
          <button
            type="button"
            className="button-secondary button-small"
            aria-expanded={open}
            aria-controls={open ? detailsId : undefined}
            aria-label={`${open ? "Hide" : "Details"} of ${message.eventType} message ${message.id}`}
            onClick={onToggle}
          >
            {open ? "Hide" : "Details"}
          </button>
        </td>
      </tr>
      {open && (
        <tr id={detailsId}>
          <td colSpan={6}>
            <MessageDetails workspaceId={workspaceId} messageId={message.id} />
          </td>
        </tr>
      )}
    </>
  );
}

function MessageDetails({ workspaceId, messageId }: { workspaceId: string; messageId: string }) {
  const utils = trpc.useUtils();
  const details = trpc.webhooks.attempts.useQuery({ workspaceId, messageId });
  const replay = trpc.webhooks.replay.useMutation({
    onSuccess: () => {
      void utils.webhooks.attempts.invalidate({ workspaceId, messageId });
      void utils.webhooks.messages.invalidate();
      void utils.webhooks.list.invalidate({ workspaceId });
    },
  });
  if (details.isPending) return <Skeleton shape="table" rows={2} label="Loading attempts…" />;
  if (details.error) return <ErrorMessage error={details.error} title="Could not load the attempts" />;
  const { message, attempts } = details.data;
  return (
    <div className="stack wh-details">
      <div className="button-row">
        <button
          type="button"
          className="button-small"
          disabled={replay.isPending}
          onClick={() => replay.mutate({ workspaceId, messageId })}
        >
          {replay.isPending ? "Sending…" : "Replay now"}
        </button>
        <span className="small muted">
          webhook-id <code>{message.id}</code>
        </span>
      </div>
      <div aria-live="polite">
        {replay.data && (
          <p className={`alert small ${replay.data.ok ? "alert-success" : "alert-error"}`}>
            Replay: {attemptSummary(replay.data)}
          </p>
        )}
      </div>
      <ErrorMessage error={replay.error} title="Could not replay" />
      <details>
        <summary>Body</summary>
        <pre className="wh-pre">{message.body}</pre>
      </details>
      {attempts.length === 0 ? (
        <p className="empty">Not attempted yet.</p>
      ) : (
        <ol className="wh-attempts" aria-label="Attempts">
          {attempts.map((attempt) => (
            <li key={attempt.id} className="stack-sm">
              <p>
                <strong>
                  Attempt {attempt.attempt} ({attempt.trigger})
                </strong>{" "}
                · {dateTimeFormat.format(attempt.createdAt)} · {attemptSummary(attempt)}
                {attempt.nextAttemptAt && <> · next try {dateTimeFormat.format(attempt.nextAttemptAt)}</>}
              </p>
              <details>
                <summary>Request headers</summary>
                <pre className="wh-pre">
                  {Object.entries(attempt.requestHeaders as Record<string, string>)
                    .map(([name, value]) => `${name}: ${value}`)
                    .join("\n")}
                </pre>
              </details>
              <details>
                <summary>Response {attempt.statusCode === 0 ? "(none)" : attempt.statusCode}</summary>
                <pre className="wh-pre">{attempt.responseBody ?? attempt.error ?? "(empty body)"}</pre>
              </details>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/** `datetime-local` text for a time, in this browser's zone. */
function localInput(date: Date): string {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function Recover({ workspaceId, endpointId }: { workspaceId: string; endpointId: string }) {
  const id = useId();
  const [since, setSince] = useState(() => localInput(new Date(Date.now() - DAY_MS)));
  const [jobId, setJobId] = useState<string | null>(null);
  const utils = trpc.useUtils();
  const recover = trpc.webhooks.recover.useMutation({ onSuccess: ({ jobId }) => setJobId(jobId) });
  // The bar follows the job live; its result (how many went out again) is read once it ends.
  const live = useJobProgress(jobId);
  const ended = isJobFinished(live.progress);
  const status = trpc.webhooks.recoverStatus.useQuery(
    { workspaceId, jobId: jobId ?? "" },
    {
      enabled: jobId !== null && (ended || live.unfollowable),
      // Until the queue also says the job ended (it finishes just after its last progress).
      refetchInterval: (query) =>
        query.state.data && ["completed", "failed"].includes(query.state.data.state) ? false : RECOVER_POLL_MS,
    },
  );
  const failed = live.progress?.state === "failed" || status.data?.state === "failed";
  const done = !failed && (status.data?.state === "completed" || live.progress?.state === "completed");
  useEffect(() => {
    if (done) void utils.webhooks.messages.invalidate();
  }, [done, utils]);
  const progress = done ? 100 : (live.progress?.percent ?? status.data?.progress ?? 0);
  const sinceError = fieldError(recover.error, "since");

  return (
    <form
      className="inline-form wh-recover"
      aria-label="Recover failed messages"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        const at = new Date(since);
        if (Number.isNaN(at.getTime())) return;
        setJobId(null);
        recover.mutate({ workspaceId, endpointId, since: at });
      }}
    >
      <TextField
        label="Re-send failed messages since"
        type="datetime-local"
        required
        value={since}
        error={sinceError}
        hint="At most 14 days back."
        onChange={(event) => setSince(event.target.value)}
      />
      <button type="submit" disabled={recover.isPending || (jobId !== null && !done && !failed)}>
        Recover
      </button>
      {jobId && (
        <div className="stack-sm grow" id={`${id}-progress`}>
          <ProgressBar
            percent={progress}
            label="Recovery progress"
            tone={failed ? "failed" : done ? "done" : "running"}
          />
          <p role="status" className="small">
            {failed
              ? `Recovery failed: ${status.data?.failedReason ?? live.progress?.error ?? "unknown error"}`
              : done
                ? `Recovery done: ${status.data?.result?.requeued ?? live.progress?.done ?? 0} message(s) queued again.`
                : `Recovering… ${progress}%`}
          </p>
        </div>
      )}
      <ErrorMessage error={recover.error && !sinceError ? recover.error : null} title="Could not start the recovery" />
    </form>
  );
}
