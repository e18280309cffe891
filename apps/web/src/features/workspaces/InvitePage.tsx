import { Link, useLocation, useNavigate } from "@tanstack/react-router";
import { useId } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useDocumentTitle } from "../../components/hooks";
import { dateFormat } from "../../components/time";
import { errorCode } from "../../errors";
import { useCurrentUser } from "../../session";
import { trpc } from "../../trpc";
import { ROLE_LABELS } from "../shell/workspace";
import { Skeleton } from "../../components/Skeleton";

/** An invitation token: 32 random bytes in base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The token travels in the fragment (`/invite#<token>`), which browsers never send to the server. */
function useInvitationToken(): string | null {
  const hash = useLocation({ select: (location) => location.hash });
  const token = decodeURIComponent(hash.replace(/^#/, ""));
  return TOKEN.test(token) ? token : null;
}

/** `/invite#<token>`: the signed-in invitee sees who invited them where, as what, and accepts or declines. */
export default function InvitePage() {
  const token = useInvitationToken();
  useDocumentTitle("Invitation");
  return (
    <div className="stack-lg">
      <h1>Invitation</h1>
      {token ? (
        <Invitation token={token} />
      ) : (
        <p className="alert alert-error" role="alert">
          This invitation link is incomplete. Open the whole link you were given, or ask for a new one.
        </p>
      )}
    </div>
  );
}

function Invitation({ token }: { token: string }) {
  const id = useId();
  const me = useCurrentUser();
  const navigate = useNavigate();
  const utils = trpc.useUtils();
  const preview = trpc.invitations.preview.useQuery({ token }, { retry: false });
  const accept = trpc.invitations.accept.useMutation({
    onSuccess: async (joined) => {
      await utils.workspaces.list.invalidate();
      await navigate({ to: "/w/$workspaceId/today", params: { workspaceId: joined.workspaceId } });
    },
  });
  const decline = trpc.invitations.decline.useMutation({
    onSuccess: () => utils.invitations.preview.invalidate({ token }),
  });

  if (preview.isPending) return <Skeleton shape="page" rows={3} label="Loading the invitation…" />;
  if (preview.error) {
    const code = errorCode(preview.error);
    if (code === "FORBIDDEN") {
      return (
        <div className="alert alert-error stack" role="alert">
          <p className="alert-title">This invitation was sent to another address.</p>
          <p>
            You are signed in as {me.email}. Sign out (top right), then sign in or create an account with the address
            the invitation was sent to, and open the link again.
          </p>
        </div>
      );
    }
    if (code === "NOT_FOUND") {
      return (
        <p className="alert alert-error" role="alert">
          This invitation does not exist (any more): it may have expired and been removed. Ask the workspace for a new
          one.
        </p>
      );
    }
    return (
      <ErrorMessage
        error={preview.error}
        title="Could not load the invitation"
        onRetry={() => void preview.refetch()}
      />
    );
  }

  const invitation = preview.data;
  const role = ROLE_LABELS[invitation.role].toLowerCase();
  if (invitation.state !== "pending") {
    const text = {
      accepted: "This invitation has already been used.",
      declined: `You declined the invitation to ${invitation.workspaceName}.`,
      revoked: `${invitation.workspaceName} withdrew this invitation.`,
      expired: "This invitation has expired. Ask the workspace for a new one.",
    }[invitation.state];
    return (
      <div className="card stack" role="status">
        <p>{text}</p>
        <p>
          <Link to="/">Go to your workspaces</Link>
        </p>
      </div>
    );
  }

  const busy = accept.isPending || decline.isPending;
  return (
    <section className="card stack" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Join {invitation.workspaceName}?</h2>
      <p>
        {invitation.invitedByName ?? "A member"} invited you to join <strong>{invitation.workspaceName}</strong> as{" "}
        {role === "admin" ? "an" : "a"} {role}. The invitation is valid until{" "}
        <time dateTime={invitation.expiresAt.toISOString()}>{dateFormat.format(invitation.expiresAt)}</time>.
      </p>
      <p className="muted small">
        Members of a workspace see its contacts and interactions; the other members see your name and email address.
      </p>
      <p className="toolbar">
        <button type="button" disabled={busy} onClick={() => accept.mutate({ token })}>
          {accept.isPending ? "Joining…" : "Accept invitation"}
        </button>
        <button type="button" className="button-secondary" disabled={busy} onClick={() => decline.mutate({ token })}>
          {decline.isPending ? "Declining…" : "Decline"}
        </button>
      </p>
      <ErrorMessage error={accept.error} title="Could not accept the invitation" />
      <ErrorMessage error={decline.error} title="Could not decline the invitation" />
    </section>
  );
}
