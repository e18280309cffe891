/**
 * Where Google's consent comes back (`/integrations?workspace=…&gmailCode=…&gmailState=…`, after
 * the server's callback checked the state): redeems the code under this session, then opens the
 * workspace's Integrations page. The code leaves the address bar at once, whatever happens.
 */
import { useNavigate } from "@tanstack/react-router";
import { useEffect, useRef, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useDocumentTitle } from "../../components/hooks";
import { Loading } from "../../components/Status";
import { trpc } from "../../trpc";

export default function CompleteGmailPage() {
  useDocumentTitle("Connecting Gmail");
  const navigate = useNavigate();
  const [params] = useState(() => new URLSearchParams(window.location.search));
  const workspaceId = params.get("workspace") ?? "";
  const complete = trpc.gmail.completeOAuth.useMutation();
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    window.history.replaceState(window.history.state, "", window.location.pathname);
    const code = params.get("gmailCode");
    const state = params.get("gmailState");
    if (!workspaceId || !code || !state) return;
    complete.mutate(
      { workspaceId, code, state },
      {
        onSuccess: () => void navigate({ to: "/w/$workspaceId/integrations", params: { workspaceId }, replace: true }),
      },
    );
  }, [complete, navigate, params, workspaceId]);

  return (
    <div className="stack">
      <h1>Connecting Gmail</h1>
      {complete.error ? (
        <ErrorMessage error={complete.error} title="Gmail was not connected" />
      ) : !params.get("gmailCode") ? (
        <p className="alert alert-error" role="alert">
          This page completes a Gmail connection; open Integrations in your workspace to connect.
        </p>
      ) : (
        <Loading>Connecting your mailbox…</Loading>
      )}
    </div>
  );
}
