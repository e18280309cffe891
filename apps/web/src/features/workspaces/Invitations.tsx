import { useId, useRef, useState } from "react";
import { useForm } from "react-hook-form";
import { ErrorMessage } from "../../components/ErrorMessage";
import { SelectField, TextField } from "../../components/fields";
import { schemaResolver } from "../../components/form";
import { useRetryAfter } from "../../components/hooks";
import { dateFormat } from "../../components/time";
import { fieldError } from "../../errors";
import { inviteMemberInput } from "../../schemas";
import { trpc, type RouterInputs } from "../../trpc";
import { ROLE_LABELS, type WorkspaceRole } from "../shell/workspace";
import { Skeleton } from "../../components/Skeleton";

/** A freshly created link: shown once (only a hash of its token is stored), to copy and hand over. */
interface CreatedLink {
  email: string;
  role: WorkspaceRole;
  url: string;
  expiresAt: Date;
}

/** The link as the invitee will open it: the server's (absolute with PUBLIC_URL) or this origin's. */
const absolute = (link: string) => new URL(link, window.location.origin).toString();

/**
 * Owners/admins invite an address with a role and get a single-use link to hand over
 * (no mail is sent); open invitations are listed, can be replaced by a new link or withdrawn.
 */
export function Invitations({ workspaceId, roles }: { workspaceId: string; roles: WorkspaceRole[] }) {
  const id = useId();
  const utils = trpc.useUtils();
  const form = useForm<{ email: string; role: WorkspaceRole }, unknown, RouterInputs["invitations"]["invite"]>({
    mode: "onTouched",
    defaultValues: { email: "", role: "member" },
    resolver: schemaResolver(inviteMemberInput, (values: { email: string; role: WorkspaceRole }) => ({
      workspaceId,
      email: values.email,
      role: values.role,
    })),
  });
  const [created, setCreated] = useState<CreatedLink | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const pending = trpc.invitations.listPending.useQuery({ workspaceId });
  const invite = trpc.invitations.invite.useMutation({
    onSuccess: async ({ invitation, link }) => {
      form.resetField("email");
      setNotice(null);
      setCreated({
        email: invitation.email,
        role: invitation.role,
        url: absolute(link),
        expiresAt: invitation.expiresAt,
      });
      await utils.invitations.listPending.invalidate({ workspaceId });
    },
  });
  const revoke = trpc.invitations.revoke.useMutation();
  const wait = useRetryAfter(invite.error);
  const emailError = form.formState.errors.email?.message ?? fieldError(invite.error, "email");

  const submit = form.handleSubmit((input) => {
    setCreated(null);
    invite.mutate(input);
  });

  const withdraw = (invitationId: string, address: string) => {
    setNotice(null);
    revoke.mutate(
      { workspaceId, invitationId },
      {
        onSuccess: () => {
          if (created?.email === address) setCreated(null);
          setNotice(`The invitation for ${address} was withdrawn; its link no longer works.`);
          void utils.invitations.listPending.invalidate({ workspaceId });
        },
      },
    );
  };

  const list = pending.data ?? [];
  return (
    <section className="card stack" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Invite someone</h2>
      <form className="inline-form" onSubmit={(event) => void submit(event)} noValidate aria-label="Invite someone">
        <TextField
          label="Email"
          className="grow"
          type="email"
          autoComplete="off"
          required
          error={emailError}
          hint="They join only once they open the link, signed in with this address, and accept."
          {...form.register("email")}
        />
        <SelectField label="Role" {...form.register("role")}>
          {roles.map((option) => (
            <option key={option} value={option}>
              {ROLE_LABELS[option]}
            </option>
          ))}
        </SelectField>
        <button type="submit" disabled={invite.isPending || wait > 0}>
          {invite.isPending ? "Creating…" : "Create invitation link"}
        </button>
      </form>
      <ErrorMessage error={invite.error} title="Could not create the invitation" />

      <div aria-live="polite">
        {created && <CreatedInvitation link={created} />}
        {notice && <p className="alert alert-success">{notice}</p>}
      </div>
      <ErrorMessage error={revoke.error} title="Could not withdraw the invitation" />

      <h3 id={`${id}-pending`}>Pending invitations{pending.data ? ` (${list.length})` : ""}</h3>
      {pending.isPending ? (
        <Skeleton shape="table" rows={3} label="Loading invitations…" />
      ) : pending.error ? (
        <ErrorMessage
          error={pending.error}
          title="Could not load the invitations"
          onRetry={() => void pending.refetch()}
        />
      ) : list.length === 0 ? (
        <p className="empty">No pending invitations.</p>
      ) : (
        <ul className="member-list" aria-labelledby={`${id}-pending`}>
          {list.map((invitation) => (
            <li key={invitation.id} className="member-row">
              <div className="member-info">
                <span className="member-name truncate" title={invitation.email}>
                  {invitation.email}
                </span>
                <span className="muted small">
                  {ROLE_LABELS[invitation.role]}
                  {invitation.invitedByName ? ` · invited by ${invitation.invitedByName}` : ""} · expires{" "}
                  <time dateTime={invitation.expiresAt.toISOString()}>{dateFormat.format(invitation.expiresAt)}</time>
                </span>
              </div>
              <div className="member-actions">
                <button
                  type="button"
                  className="button-secondary button-small"
                  aria-label={`New link for ${invitation.email}`}
                  disabled={invite.isPending || !roles.includes(invitation.role)}
                  onClick={() => {
                    setCreated(null);
                    invite.mutate({ workspaceId, email: invitation.email, role: invitation.role });
                  }}
                >
                  New link
                </button>{" "}
                <button
                  type="button"
                  className="button-secondary button-small"
                  aria-label={`Withdraw the invitation for ${invitation.email}`}
                  disabled={
                    (revoke.isPending && revoke.variables?.invitationId === invitation.id) ||
                    !roles.includes(invitation.role)
                  }
                  onClick={() => withdraw(invitation.id, invitation.email)}
                >
                  Withdraw
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function CreatedInvitation({ link }: { link: CreatedLink }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "select" | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link.url);
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
        Invitation for {link.email} as {ROLE_LABELS[link.role].toLowerCase()} created
      </p>
      <p className="small">
        Send this link to them yourself (Rapport does not send mail yet). It works once, only for {link.email}, until{" "}
        <time dateTime={link.expiresAt.toISOString()}>{dateFormat.format(link.expiresAt)}</time>. It is shown only now.
      </p>
      <div className="inline-form">
        <TextField
          label="Invitation link"
          className="grow"
          readOnly
          value={link.url}
          inputRef={input}
          onFocus={(event) => event.target.select()}
        />
        <button type="button" onClick={() => void copy()}>
          Copy link
        </button>
      </div>
      <p className="small" role="status">
        {copied === "yes" ? "Link copied." : copied === "select" ? "Press Ctrl+C (⌘C) to copy the selected link." : ""}
      </p>
    </div>
  );
}
