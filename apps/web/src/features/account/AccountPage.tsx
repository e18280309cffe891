import { useId, useState } from "react";
import { useForm } from "react-hook-form";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { TextField } from "../../components/fields";
import { schemaResolver } from "../../components/form";
import { useDocumentTitle, useNow } from "../../components/hooks";
import { Skeleton } from "../../components/Skeleton";
import { formatAbsolute, formatRelative } from "../../components/time";
import { fieldError } from "../../errors";
import { changePasswordInput, loadChangePasswordInput, updateProfileInput } from "../../schemas";
import { updateSessionUser, useCurrentUser } from "../../session";
import { trpc, type RouterInputs, type RouterOutputs } from "../../trpc";
import { browserOf } from "./browser";

type Session = RouterOutputs["auth"]["sessions"][number];

/** `/settings/account`: the signed-in person's name, password, sign-in sessions and security record. */
export default function AccountPage() {
  useDocumentTitle("Account");
  return (
    <div className="stack-lg">
      <h1>Account</h1>
      <Profile />
      <ChangePassword />
      <Sessions />
      <SecurityActivity />
    </div>
  );
}

function Profile() {
  const id = useId();
  const user = useCurrentUser();
  const form = useForm<{ name: string }, unknown, RouterInputs["auth"]["updateProfile"]>({
    values: { name: user.name },
    resolver: schemaResolver(updateProfileInput, (values: { name: string }) => ({ name: values.name })),
  });
  const update = trpc.auth.updateProfile.useMutation({
    onSuccess: (saved) => updateSessionUser({ ...user, ...saved }),
  });
  const submit = form.handleSubmit((input) => {
    update.reset();
    update.mutate(input);
  });
  const { isDirty } = form.formState;
  return (
    <section className="card stack" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Profile</h2>
      <form className="stack-sm" onSubmit={(event) => void submit(event)} noValidate>
        <TextField
          label="Name"
          autoComplete="name"
          required
          hint="The members of your workspaces see this name."
          error={form.formState.errors.name?.message ?? fieldError(update.error, "name")}
          {...form.register("name")}
        />
        <p className="small muted">
          Email: <span>{user.email}</span>
        </p>
        <div className="button-row">
          <button type="submit" disabled={!isDirty || update.isPending}>
            {update.isPending ? "Saving…" : "Save name"}
          </button>
        </div>
        <div role="status">{update.isSuccess && !isDirty && <p className="alert alert-success">Name saved.</p>}</div>
        {update.error && !fieldError(update.error, "name") && (
          <ErrorMessage error={update.error} title="Could not save your name" />
        )}
      </form>
    </section>
  );
}

interface PasswordValues {
  currentPassword: string;
  newPassword: string;
}

function ChangePassword() {
  const id = useId();
  const user = useCurrentUser();
  const utils = trpc.useUtils();
  const form = useForm<PasswordValues, unknown, RouterInputs["auth"]["changePassword"]>({
    defaultValues: { currentPassword: "", newPassword: "" },
    resolver: schemaResolver(
      () => loadChangePasswordInput(user.email),
      (values: PasswordValues) => values,
      {
        fallback: changePasswordInput,
      },
    ),
  });
  const change = trpc.auth.changePassword.useMutation({
    onSuccess: () => {
      form.reset();
      void utils.auth.sessions.invalidate();
      void utils.auth.securityActivity.invalidate();
    },
  });
  const submit = form.handleSubmit((input) => {
    change.reset();
    change.mutate(input);
  });
  const fieldMessage = (field: keyof PasswordValues) =>
    form.formState.errors[field]?.message ?? fieldError(change.error, field);
  const ended = change.data?.sessionsRevoked ?? 0;
  return (
    <section className="card stack" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Password</h2>
      <form className="stack-sm" onSubmit={(event) => void submit(event)} noValidate>
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          error={fieldMessage("currentPassword")}
          {...form.register("currentPassword")}
        />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 10 characters; a passphrase of a few words works well. Your other sessions are signed out."
          error={fieldMessage("newPassword")}
          {...form.register("newPassword")}
        />
        <div className="button-row">
          <button type="submit" disabled={change.isPending}>
            {change.isPending ? "Changing…" : "Change password"}
          </button>
        </div>
        <div role="status">
          {change.isSuccess && (
            <p className="alert alert-success">
              Password changed.{" "}
              {ended === 0
                ? "No other session was signed in."
                : `${ended} other session${ended === 1 ? " was" : "s were"} signed out.`}
            </p>
          )}
        </div>
        {change.error && !fieldError(change.error, "currentPassword") && !fieldError(change.error, "newPassword") && (
          <ErrorMessage error={change.error} title="Could not change your password" />
        )}
      </form>
    </section>
  );
}

function Sessions() {
  const id = useId();
  const now = useNow(60_000);
  const utils = trpc.useUtils();
  const sessions = trpc.auth.sessions.useQuery();
  const [confirmAll, setConfirmAll] = useState(false);
  const refresh = () => {
    void utils.auth.sessions.invalidate();
    void utils.auth.securityActivity.invalidate();
  };
  const revoke = trpc.auth.revokeSession.useMutation({ onSuccess: refresh });
  const revokeOthers = trpc.auth.revokeOtherSessions.useMutation({
    onSuccess: () => {
      setConfirmAll(false);
      refresh();
    },
  });
  const others = (sessions.data ?? []).filter((session) => !session.current).length;
  return (
    <section className="card stack" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Where you are signed in</h2>
      <p className="hint">
        Each sign-in is a session. Sign out one you do not recognise, or all but this one; they end within seconds.
      </p>
      <div aria-live="polite">
        {revokeOthers.isSuccess && (
          <p className="alert alert-success">
            {revokeOthers.data.sessionsRevoked === 0
              ? "No other session was signed in."
              : `${revokeOthers.data.sessionsRevoked} other session${revokeOthers.data.sessionsRevoked === 1 ? "" : "s"} signed out.`}
          </p>
        )}
      </div>
      {revoke.error && <ErrorMessage error={revoke.error} title="Could not sign that session out" />}
      {sessions.isPending ? (
        <Skeleton shape="table" rows={2} label="Loading your sessions…" />
      ) : sessions.error ? (
        <ErrorMessage
          error={sessions.error}
          title="Could not load your sessions"
          onRetry={() => void sessions.refetch()}
        />
      ) : (
        <>
          <ul className="member-list" aria-label="Sessions">
            {sessions.data.map((session) => (
              <SessionRow
                key={session.id}
                session={session}
                now={now}
                pending={revoke.isPending && revoke.variables?.sessionId === session.id}
                onRevoke={() => {
                  revoke.reset();
                  revoke.mutate({ sessionId: session.id });
                }}
              />
            ))}
          </ul>
          <div className="button-row">
            <button
              type="button"
              className="button-secondary"
              disabled={others === 0 || revokeOthers.isPending}
              onClick={() => {
                revokeOthers.reset();
                setConfirmAll(true);
              }}
            >
              Sign out all other sessions
            </button>
          </div>
        </>
      )}
      <ConfirmDialog
        open={confirmAll}
        title="Sign out all other sessions?"
        confirmLabel="Yes, sign them out"
        destructive
        pending={revokeOthers.isPending}
        error={<ErrorMessage error={revokeOthers.error} title="Could not sign them out" />}
        onConfirm={() => revokeOthers.mutate()}
        onCancel={() => setConfirmAll(false)}
      >
        <p>
          Every browser and app signed in to your account, except this one, is signed out ({others} session
          {others === 1 ? "" : "s"}).
        </p>
      </ConfirmDialog>
    </section>
  );
}

function SessionRow({
  session,
  now,
  pending,
  onRevoke,
}: {
  session: Session;
  now: number;
  pending: boolean;
  onRevoke: () => void;
}) {
  const browser = browserOf(session.userAgent);
  return (
    <li className="member-row">
      <div className="member-info">
        <span className="member-name">
          {browser}
          {session.current && (
            <>
              {" "}
              <span className="badge">This browser</span>
            </>
          )}
        </span>
        <span className="muted small">{session.ip ?? "Address unknown"}</span>
        <span className="muted small">
          Signed in <time dateTime={session.createdAt.toISOString()}>{formatAbsolute(session.createdAt)}</time>
          {" · "}active{" "}
          <time dateTime={session.lastUsedAt.toISOString()} title={formatAbsolute(session.lastUsedAt)}>
            {formatRelative(session.lastUsedAt, now)}
          </time>
        </span>
      </div>
      <div className="member-actions">
        {!session.current && (
          <button
            type="button"
            className="button-secondary button-small"
            aria-label={`Sign out ${browser}, ${session.ip ?? "address unknown"}`}
            disabled={pending}
            onClick={onRevoke}
          >
            {pending ? "Signing out…" : "Sign out"}
          </button>
        )}
      </div>
    </li>
  );
}

/** The account's own security events in words; an action without one is not listed. */
const SECURITY_ACTIONS: Record<string, string> = {
  "auth.register": "Account created",
  "auth.login": "Signed in",
  "auth.login_failed": "Failed sign-in (wrong password)",
  "auth.logout": "Signed out",
  "auth.refresh_reuse": "Session ended: its sign-in was used twice (possibly stolen)",
  "auth.password_changed": "Password changed",
  "auth.password_change_failed": "Password not changed: wrong current password",
  "auth.session_revoked": "Signed out a session",
  "auth.sessions_revoked": "Signed out all other sessions",
  "auth.profile_updated": "Name changed",
};

function SecurityActivity() {
  const id = useId();
  const now = useNow(60_000);
  const activity = trpc.auth.securityActivity.useQuery();
  const entries = (activity.data ?? []).filter((entry) => entry.action in SECURITY_ACTIONS);
  return (
    <section className="card stack" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Recent security activity</h2>
      {activity.isPending ? (
        <Skeleton shape="table" rows={3} label="Loading your security activity…" />
      ) : activity.error ? (
        <ErrorMessage
          error={activity.error}
          title="Could not load your security activity"
          onRetry={() => void activity.refetch()}
        />
      ) : entries.length === 0 ? (
        <p className="empty">Nothing yet.</p>
      ) : (
        <ul className="member-list" aria-label="Security activity">
          {entries.map((entry) => (
            <li key={entry.id} className="member-row">
              <div className="member-info">
                <span className="member-name">{SECURITY_ACTIONS[entry.action]}</span>
                <span className="muted small">
                  <time dateTime={entry.createdAt.toISOString()} title={formatAbsolute(entry.createdAt)}>
                    {formatRelative(entry.createdAt, now)}
                  </time>
                  {" · "}
                  {browserOf(entry.userAgent)}
                  {entry.ip ? ` · ${entry.ip}` : ""}
                </span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
