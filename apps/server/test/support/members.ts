import type { WorkspaceRole } from "@rapport/core";
import type { SignedInUser } from "./app";

/** The token of an invitation link (`…/invite#<token>`). */
export function invitationToken(link: string): string {
  return link.slice(link.indexOf("#") + 1);
}

/** `inviter` invites `invitee` into the workspace with `role`, and `invitee` accepts: membership by consent. */
export async function joinWorkspace(
  inviter: Pick<SignedInUser, "client">,
  workspaceId: string,
  invitee: Pick<SignedInUser, "client" | "email">,
  role: WorkspaceRole = "member",
) {
  const { link } = await inviter.client.invitations.invite.mutate({ workspaceId, email: invitee.email, role });
  return invitee.client.invitations.accept.mutate({ token: invitationToken(link) });
}
