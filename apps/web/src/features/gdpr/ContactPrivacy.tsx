/**
 * GDPR on the contact page.
 *
 * - ContactPrivacyBadges / ContactPrivacyNotice (everyone): "Processing restricted" or "Erased",
 *   with what that means.
 * - ContactPrivacyPanel (owners/admins; the server enforces it too): region "Privacy" with
 *   buttons "Export this person's data", "Restrict processing" / "Lift restriction" and "Erase…",
 *   each confirmed in a dialog ("Export … data?", "Restrict processing of …?", "Lift the restriction for …?",
 *   "Erase … permanently?" with a required field "Reason for the erasure"); progressbar "Export progress"
 *   and button "Download ZIP (<size>)" once ready.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useForm } from "react-hook-form";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { schemaResolver } from "../../components/form";
import { fieldError } from "../../errors";
import { contactErasureInput } from "../../schemas";
import { trpc, type RouterInputs, type RouterOutputs } from "../../trpc";
import { patchInLists } from "../contacts/cache";
import { ExportProgress, isFinished, useExportJob } from "./ExportProgress";
import { TextAreaField } from "../../components/fields";
import { dateTimeFormat } from "../../components/time";
import { PauseIcon } from "./icons";
import "./privacy.css";

export type ContactPrivacyState = RouterOutputs["gdpr"]["contactPrivacy"];

function list(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

export function useContactPrivacy(workspaceId: string, contactId: string) {
  return trpc.gdpr.contactPrivacy.useQuery({ workspaceId, contactId }, { staleTime: 30_000 });
}

/** Next to the contact's name: "Erased" or "Processing restricted", in words (not colour alone). */
export function ContactPrivacyBadges({ privacy }: { privacy: ContactPrivacyState | undefined }) {
  if (!privacy) return null;
  if (privacy.erasedAt) return <span className="pv-badge pv-badge-erased">Erased</span>;
  if (privacy.restricted)
    return (
      <span className="pv-badge pv-badge-restricted">
        <PauseIcon />
        Processing restricted
      </span>
    );
  return null;
}

/** Under the header: what an erasure or a restriction means for this record. */
export function ContactPrivacyNotice({ privacy }: { privacy: ContactPrivacyState | undefined }) {
  if (!privacy) return null;
  if (privacy.erasedAt) {
    return (
      <div className="alert alert-info pv-notice">
        <p className="alert-title">
          This person&apos;s personal data was erased on{" "}
          <time dateTime={privacy.erasedAt.toISOString()}>{dateTimeFormat.format(privacy.erasedAt)}</time> (GDPR Art.
          17).
        </p>
        <p>
          Name, contact details, tags and the text of their interactions are gone for good. The anonymous record stays
          so that the workspace&apos;s figures remain correct, and their address cannot be imported again.
        </p>
      </div>
    );
  }
  if (privacy.restricted) {
    return (
      <div className="alert pv-notice pv-notice-restricted">
        <p className="alert-title">Processing of this person&apos;s data is restricted (GDPR Art. 18).</p>
        <p>
          The record is kept and can be viewed and exported
          {privacy.restrictions.length > 0 ? `, but these are stopped: ${list(privacy.restrictions)}` : ""}. An owner or
          admin can lift the restriction.
        </p>
      </div>
    );
  }
  return null;
}

type Dialog = "export" | "restrict" | "unrestrict" | "erase" | null;

/**
 * The contact's privacy actions for owners and admins: export the person's
 * data (progress, then download), restrict or lift the restriction, erase.
 */
export function ContactPrivacyPanel({
  workspaceId,
  contact,
}: {
  workspaceId: string;
  contact: { id: string; name: string };
}) {
  const id = useId();
  // The same query as the page's badge and notice (one request).
  const privacyQuery = useContactPrivacy(workspaceId, contact.id);
  const privacy = privacyQuery.data;
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const input = { workspaceId, contactId: contact.id };
  const [dialog, setDialog] = useState<Dialog>(null);
  const form = useForm<{ reason: string }, unknown, RouterInputs["gdpr"]["eraseContact"]>({
    defaultValues: { reason: "" },
    resolver: schemaResolver(
      contactErasureInput,
      (values: { reason: string }) => ({ workspaceId, contactId: contact.id, reason: values.reason }),
      { local: (values) => ({ reason: values.reason.trim() ? undefined : "Give the reason for the erasure." }) },
    ),
  });
  const [done, setDone] = useState<string | null>(null);

  const job = useExportJob(`rapport.privacy.contactExport.${workspaceId}.${contact.id}`);
  const exportData = trpc.gdpr.exportContact.useMutation({
    onSuccess: (status) => {
      job.started(status);
      setDialog(null);
    },
  });

  const afterRestriction = async (restricted: boolean) => {
    utils.gdpr.contactPrivacy.setData(input, (current) => (current ? { ...current, restricted } : current));
    setDialog(null);
    setDone(restricted ? "Processing restricted." : "Restriction lifted.");
    await Promise.all([utils.gdpr.contactPrivacy.invalidate(input), utils.gdpr.operations.invalidate({ workspaceId })]);
  };
  const restrict = trpc.gdpr.restrictContact.useMutation({ onSuccess: () => afterRestriction(true) });
  const unrestrict = trpc.gdpr.unrestrictContact.useMutation({ onSuccess: () => afterRestriction(false) });

  const erase = trpc.gdpr.eraseContact.useMutation({
    onSuccess: async () => {
      setDialog(null);
      form.reset();
      // This panel goes away with the personal data; start reading the page (now the anonymous record) from the top.
      requestAnimationFrame(() => document.getElementById("main")?.focus());
      // The record is anonymous now: show it as the server has it, everywhere.
      const updated = await utils.client.contacts.get.query(input).catch(() => null);
      if (updated) {
        utils.contacts.get.setData(input, updated);
        patchInLists(queryClient, workspaceId, updated);
      }
      await Promise.all([
        // Other views of the record (e.g. names on the workspace Privacy page), not the one just set.
        utils.contacts.get.invalidate({ ...input, includeDeleted: true }),
        utils.gdpr.contactPrivacy.invalidate(input),
        utils.interactions.listForContact.invalidate(),
        utils.gdpr.operations.invalidate({ workspaceId }),
      ]);
    },
  });

  const running = job.status !== undefined && !isFinished(job.status);
  const restricted = privacy?.restricted ?? false;
  const stops = privacy?.restrictions ?? [];
  const reasonError = form.formState.errors.reason?.message ?? fieldError(erase.error, "reason");

  const open = (next: Dialog) => {
    setDone(null);
    exportData.reset();
    restrict.reset();
    unrestrict.reset();
    erase.reset();
    form.clearErrors();
    setDialog(next);
  };

  // A blank or too long reason stays on its field, with the keyboard there; nothing is sent.
  const confirmErase = form.handleSubmit((checked) => erase.mutate(checked));

  return (
    <section className="card stack pv-contact-panel" aria-labelledby={`${id}-title`}>
      <div>
        <h2 id={`${id}-title`}>Privacy</h2>
        <p className="small muted">Answer this person&apos;s data requests (GDPR). Each action is recorded.</p>
      </div>
      {privacyQuery.error && !privacy && (
        <ErrorMessage
          error={privacyQuery.error}
          title="Could not check whether processing is restricted"
          onRetry={() => void privacyQuery.refetch()}
        />
      )}
      <p className="pv-contact-state">
        Processing:{" "}
        {privacy === undefined ? (
          <span className="muted">{privacyQuery.error ? "unknown" : "checking…"}</span>
        ) : restricted ? (
          <strong className="pv-inline-icon">
            <PauseIcon />
            restricted
          </strong>
        ) : (
          <span>not restricted</span>
        )}
      </p>
      <div className="pv-contact-actions">
        {/* aria-disabled, not disabled: focus comes back here when the dialog closes, and stays on the page. */}
        <button
          type="button"
          className="button-secondary"
          aria-disabled={running || undefined}
          onClick={() => {
            if (!running) open("export");
          }}
        >
          {running ? "Exporting…" : "Export this person's data"}
        </button>
        {/* One button whose label flips, so focus returns to it after the dialog. */}
        <button
          type="button"
          className="button-secondary"
          onClick={() => open(restricted ? "unrestrict" : "restrict")}
          disabled={privacy === undefined}
        >
          {restricted ? "Lift restriction" : "Restrict processing"}
        </button>
        <button type="button" className="button-danger-outline" onClick={() => open("erase")}>
          Erase…
        </button>
      </div>
      {done && (
        <p className="small pv-done" role="status">
          {done}
        </p>
      )}

      {job.checking ? (
        <p className="small muted" role="status">
          Checking the last export…
        </p>
      ) : (
        job.status && (
          <ExportProgress
            status={job.status}
            label="Export progress"
            pollError={job.error}
            onRetryPoll={job.refetch}
            onRequestAgain={() => exportData.mutate(input)}
            requestAgainPending={exportData.isPending}
            fallbackFilename="rapport-contact-data.zip"
          />
        )
      )}
      {dialog === null && exportData.error && (
        <ErrorMessage error={exportData.error} title="Could not start the export" />
      )}

      <ConfirmDialog
        open={dialog === "export"}
        title={`Export ${contact.name}'s data?`}
        confirmLabel="Yes, export"
        pending={exportData.isPending}
        error={<ErrorMessage error={exportData.error} title="Could not start the export" />}
        onConfirm={() => exportData.mutate(input)}
        onCancel={() => setDialog(null)}
      >
        <p>
          Builds a ZIP with everything this workspace holds about {contact.name}: the contact record, their
          interactions, and the activity and audit entries about them — to answer their access request (GDPR Art. 15).
        </p>
        <p className="small muted">
          Owners and admins of this workspace can download it here until it expires; then the file is deleted.
        </p>
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === "restrict"}
        title={`Restrict processing of ${contact.name}'s data?`}
        confirmLabel="Yes, restrict"
        pending={restrict.isPending}
        error={<ErrorMessage error={restrict.error} title="Could not restrict processing" />}
        onConfirm={() => restrict.mutate(input)}
        onCancel={() => setDialog(null)}
      >
        <p>The data is kept, but Rapport stops using it until the restriction is lifted (GDPR Art. 18).</p>
        {stops.length > 0 && <p>Stopped: {list(stops)}.</p>}
        <p className="small muted">
          Everyone in the workspace can still view the contact, and you can still export their data.
        </p>
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === "unrestrict"}
        title={`Lift the restriction for ${contact.name}?`}
        confirmLabel="Yes, lift restriction"
        pending={unrestrict.isPending}
        error={<ErrorMessage error={unrestrict.error} title="Could not lift the restriction" />}
        onConfirm={() => unrestrict.mutate(input)}
        onCancel={() => setDialog(null)}
      >
        <p>
          Rapport resumes processing this person&apos;s data{stops.length > 0 ? `: ${list(stops)}` : ""}. Lift it only
          once the reason for the restriction is settled.
        </p>
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === "erase"}
        title={`Erase ${contact.name} permanently?`}
        confirmLabel="Erase permanently"
        destructive
        pending={erase.isPending}
        error={reasonError ? null : <ErrorMessage error={erase.error} title="Could not erase" />}
        onConfirm={() => void confirmErase()}
        onCancel={() => setDialog(null)}
      >
        <div className="alert alert-error pv-irreversible">
          <p className="alert-title">This cannot be undone.</p>
          <p>
            Their name, email, company, title, phone and tags are removed, the text of their interactions is cleared
            (also where they are named on other contacts), and exports that may hold them are deleted. Their address is
            blocked from being imported again.
          </p>
        </div>
        <p className="small">
          The anonymous record and the types and dates of interactions stay, so the workspace&apos;s figures remain
          correct.
        </p>
        <TextAreaField
          label="Reason for the erasure"
          rows={3}
          maxLength={1000}
          required
          hint="Recorded with the request, e.g. “Erasure requested by email on 3 March”."
          error={reasonError}
          {...form.register("reason")}
        />
      </ConfirmDialog>
    </section>
  );
}
