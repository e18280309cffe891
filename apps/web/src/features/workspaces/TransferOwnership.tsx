import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { SelectField } from "../../components/fields";
import { trpc, type RouterOutputs } from "../../trpc";
import { ROLE_LABELS, type CurrentWorkspace } from "../shell/workspace";
import "./lifecycle.css";

type Member = RouterOutputs["workspaces"]["members"][number];

/** Focuses a section's heading when the page was opened at its anchor (links from the Privacy page). */
export function useAnchorFocus(anchor: string) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (window.location.hash !== `#${anchor}`) return;
    ref.current?.scrollIntoView?.({ block: "start" });
    ref.current?.focus({ preventScroll: true });
  }, [anchor]);
  return ref;
}

/**
 * "Transfer ownership" (owners): choose a member, confirm; they become owner and
 * you stay as admin. Needed before a sole owner can delete their account.
 */
export function TransferOwnership({
  workspace,
  members,
  meId,
  onTransferred,
}: {
  workspace: CurrentWorkspace;
  members: Member[];
  meId: string;
  /** Told once done: this section then disappears (the caller is no longer an owner), so the page says it. */
  onTransferred: (text: string) => void;
}) {
  const id = useId();
  const headingRef = useAnchorFocus("transfer-ownership");
  const utils = trpc.useUtils();
  const candidates = members.filter((member) => member.userId !== meId && member.role !== "owner");
  const [chosen, setChosen] = useState("");
  const [confirming, setConfirming] = useState(false);
  const transfer = trpc.workspaces.transferOwnership.useMutation({
    onSuccess: async (result) => {
      setConfirming(false);
      setChosen("");
      onTransferred(`${result.ownerName || "The member"} now owns ${workspace.name}. You are an admin.`);
      // My role changed (owner → admin): the workspace list carries it.
      await Promise.all([
        utils.workspaces.members.invalidate({ workspaceId: workspace.id }),
        utils.workspaces.list.invalidate(),
        utils.workspaces.soleOwned.invalidate(),
      ]);
    },
  });
  const receiver = candidates.find((member) => member.userId === chosen) ?? null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!receiver) return;
    transfer.reset();
    setConfirming(true);
  };

  return (
    <section id="transfer-ownership" className="card stack ws-transfer" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} ref={headingRef} tabIndex={-1}>
        Transfer ownership
      </h2>
      <p className="muted">
        Hand {workspace.name} to another member: they become its owner and you stay as an admin. Do this before deleting
        your account if you are the only owner.
      </p>
      {candidates.length === 0 ? (
        <p className="muted">Nobody else can receive it yet: add a member first.</p>
      ) : (
        <form className="inline-form" onSubmit={submit} noValidate>
          <SelectField
            label="New owner"
            className="grow"
            value={chosen}
            onChange={(event) => setChosen(event.target.value)}
          >
            <option value="">Choose a member…</option>
            {candidates.map((member) => (
              <option key={member.userId} value={member.userId}>
                {member.name} ({ROLE_LABELS[member.role].toLowerCase()}, {member.email})
              </option>
            ))}
          </SelectField>
          <button type="submit" className="button-secondary" disabled={!receiver || transfer.isPending}>
            Transfer ownership
          </button>
        </form>
      )}
      <ConfirmDialog
        open={confirming && receiver !== null}
        title={`Make ${receiver?.name ?? ""} the owner?`}
        confirmLabel="Yes, transfer"
        pending={transfer.isPending}
        error={<ErrorMessage error={transfer.error} title="Could not transfer ownership" />}
        onConfirm={() => receiver && transfer.mutate({ workspaceId: workspace.id, userId: receiver.userId })}
        onCancel={() => setConfirming(false)}
      >
        <p>
          {receiver?.name} becomes the owner of {workspace.name}. You become an admin: you can no longer delete the
          workspace or manage owners.
        </p>
      </ConfirmDialog>
    </section>
  );
}
