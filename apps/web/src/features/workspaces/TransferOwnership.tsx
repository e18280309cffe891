import { useEffect, useId, useRef, useState } from "react";
import { useForm } from "react-hook-form";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { SelectField } from "../../components/fields";
import { schemaResolver } from "../../components/form";
import { transferOwnershipInput } from "../../schemas";
import { trpc, type RouterInputs, type RouterOutputs } from "../../trpc";
import { ROLE_LABELS, type CurrentWorkspace } from "../shell/workspace";
import "./lifecycle.css";

type Member = RouterOutputs["workspaces"]["members"][number];
type TransferInput = RouterInputs["workspaces"]["transferOwnership"];

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
  const form = useForm<{ userId: string }, unknown, TransferInput>({
    defaultValues: { userId: "" },
    // The button stays locked until a member is chosen.
    resolver: schemaResolver(transferOwnershipInput, (values: { userId: string }) => ({
      workspaceId: workspace.id,
      userId: values.userId,
    })),
  });
  // The checked input, held while the owner confirms.
  const [confirming, setConfirming] = useState<TransferInput | null>(null);
  const transfer = trpc.workspaces.transferOwnership.useMutation({
    onSuccess: async (result) => {
      setConfirming(null);
      form.reset();
      onTransferred(`${result.ownerName || "The member"} now owns ${workspace.name}. You are an admin.`);
      // My role changed (owner → admin): the workspace list carries it.
      await Promise.all([
        utils.workspaces.members.invalidate({ workspaceId: workspace.id }),
        utils.workspaces.list.invalidate(),
        utils.workspaces.soleOwned.invalidate(),
      ]);
    },
  });
  const chosen = form.watch("userId");
  const receiver = candidates.find((member) => member.userId === chosen) ?? null;

  const submit = form.handleSubmit((input) => {
    transfer.reset();
    setConfirming(input);
  });

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
        <form className="inline-form" onSubmit={(event) => void submit(event)} noValidate>
          <SelectField
            label="New owner"
            className="grow"
            error={form.formState.errors.userId?.message}
            {...form.register("userId")}
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
        open={confirming !== null && receiver !== null}
        title={`Make ${receiver?.name ?? ""} the owner?`}
        confirmLabel="Yes, transfer"
        pending={transfer.isPending}
        error={<ErrorMessage error={transfer.error} title="Could not transfer ownership" />}
        onConfirm={() => confirming && transfer.mutate(confirming)}
        onCancel={() => setConfirming(null)}
      >
        <p>
          {receiver?.name} becomes the owner of {workspace.name}. You become an admin: you can no longer delete the
          workspace or manage owners.
        </p>
      </ConfirmDialog>
    </section>
  );
}
