import { useEffect, useId, useRef, useState } from "react";
import { useForm } from "react-hook-form";
import { ErrorMessage } from "../../components/ErrorMessage";
import { focusFirstInvalid, SelectField, TextField } from "../../components/fields";
import { schemaResolver } from "../../components/form";
import { useDebounced } from "../../components/hooks";
import { toLocalInput } from "../../components/time";
import { createTaskInput } from "../../schemas";
import { useCurrentUser } from "../../session";
import { trpc, type RouterInputs, type RouterOutputs } from "../../trpc";
import { fieldErrors } from "../contacts/fieldErrors";

const DAY_MS = 86_400_000;

export type ListedTask = RouterOutputs["tasks"]["list"]["items"][number];

/** The contact a follow-up is about, as far as the dialog needs it. */
export interface FollowUpContact {
  id: string;
  name: string;
}

/** What a new follow-up starts with (title, due in N days at 9:00, contact, timeline item). */
export interface FollowUpDraft {
  title?: string;
  dueInDays?: number;
  contact?: FollowUpContact;
  interactionId?: string;
}

interface Values {
  title: string;
  dueAt: string;
  assigneeId: string;
}

/** N days from now at 9:00 local time (a follow-up "tomorrow" is due in the morning). */
export function dueIn(days: number, now = new Date()): Date {
  const due = new Date(now.getTime() + days * DAY_MS);
  due.setHours(9, 0, 0, 0);
  return due;
}

/**
 * Create or edit a follow-up, in a modal dialog: title, due date and time (the person's
 * local time), assignee among the workspace's members, and the contact it is about.
 * Opened from Today, the Tasks page, a contact page, a timeline item and the Reconnect list.
 */
export function FollowUpDialog({
  workspaceId,
  task,
  draft,
  onClose,
}: {
  workspaceId: string;
  /** Editing this follow-up; otherwise a new one from `draft`. */
  task?: ListedTask;
  draft?: FollowUpDraft;
  onClose: () => void;
}) {
  const id = useId();
  const ref = useRef<HTMLDialogElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const me = useCurrentUser();
  const utils = trpc.useUtils();
  const members = trpc.workspaces.members.useQuery({ workspaceId }, { staleTime: 60_000 });
  const [contact, setContact] = useState<FollowUpContact | null>(
    task
      ? task.contactId
        ? { id: task.contactId, name: task.contactName ?? "Contact" }
        : null
      : (draft?.contact ?? null),
  );

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog || dialog.open) return;
    const opener = document.activeElement as HTMLElement | null;
    dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      opener?.focus?.();
    };
  }, []);

  const form = useForm<Values, unknown, RouterInputs["tasks"]["create"]>({
    mode: "onTouched",
    defaultValues: {
      title: task?.title ?? draft?.title ?? "",
      dueAt: toLocalInput(task?.dueAt ?? dueIn(draft?.dueInDays ?? 1)),
      assigneeId: task ? (task.assigneeId ?? task.createdBy ?? me.id) : me.id,
    },
    resolver: schemaResolver(
      createTaskInput,
      (values: Values) => ({
        workspaceId,
        title: values.title.trim(),
        dueAt: new Date(values.dueAt),
        ...(values.assigneeId ? { assigneeId: values.assigneeId } : {}),
      }),
      {
        local: (values: Values) => ({
          dueAt: !values.dueAt || Number.isNaN(new Date(values.dueAt).getTime()) ? "Enter a date and time." : undefined,
        }),
      },
    ),
  });
  const { setFocus } = form;
  useEffect(() => setFocus("title"), [setFocus]);

  const done = () => {
    void utils.tasks.list.invalidate({ workspaceId });
    onClose();
  };
  const create = trpc.tasks.create.useMutation({ onSuccess: done });
  const update = trpc.tasks.update.useMutation({ onSuccess: done });
  const mutation = task ? update : create;
  const errors = fieldErrors(mutation.error, task ? ["patch"] : []);
  const error = (field: keyof Values) => form.formState.errors[field]?.message ?? errors.fields[field];

  const submit = form.handleSubmit((input) => {
    const onError = () => focusFirstInvalid(formRef.current);
    if (task) {
      update.mutate(
        {
          workspaceId,
          taskId: task.id,
          patch: {
            title: input.title,
            dueAt: input.dueAt,
            assigneeId: input.assigneeId ?? null,
            contactId: contact?.id ?? null,
          },
        },
        { onError },
      );
    } else {
      create.mutate(
        {
          ...input,
          ...(contact ? { contactId: contact.id } : {}),
          ...(contact && draft?.interactionId && contact.id === draft.contact?.id
            ? { interactionId: draft.interactionId }
            : {}),
        },
        { onError },
      );
    }
  });

  const title = task ? "Edit follow-up" : "New follow-up";
  return (
    <dialog
      ref={ref}
      className="dialog tk-dialog"
      aria-labelledby={`${id}-title`}
      onCancel={(event) => {
        event.preventDefault();
        if (!mutation.isPending) onClose();
      }}
    >
      <form ref={formRef} className="stack" onSubmit={(event) => void submit(event)} noValidate>
        <h2 id={`${id}-title`}>{title}</h2>
        <TextField
          label="Title"
          maxLength={300}
          autoComplete="off"
          {...form.register("title")}
          error={error("title")}
        />
        <TextField label="Due" type="datetime-local" required {...form.register("dueAt")} error={error("dueAt")} />
        <SelectField label="Assigned to" {...form.register("assigneeId")} error={error("assigneeId")}>
          {(members.data ?? [{ userId: me.id, name: me.name }]).map((member) => (
            <option key={member.userId} value={member.userId}>
              {member.userId === me.id ? `${member.name} (me)` : member.name}
            </option>
          ))}
        </SelectField>
        <ContactPicker
          workspaceId={workspaceId}
          contact={contact}
          onChange={setContact}
          error={errors.fields.contactId}
        />
        {mutation.error && Object.keys(errors.fields).length === 0 && <ErrorMessage error={mutation.error} />}
        <div className="button-row">
          <button type="submit" disabled={mutation.isPending}>
            {mutation.isPending ? "Saving…" : task ? "Save follow-up" : "Create follow-up"}
          </button>
          <button type="button" className="button-secondary" onClick={onClose} disabled={mutation.isPending}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** The contact a follow-up is about: the chosen one with "Remove", or a search among the workspace's contacts. */
function ContactPicker({
  workspaceId,
  contact,
  onChange,
  error,
}: {
  workspaceId: string;
  contact: FollowUpContact | null;
  onChange: (contact: FollowUpContact | null) => void;
  error?: string;
}) {
  const id = useId();
  const [text, setText] = useState("");
  const search = useDebounced(text.trim().slice(0, 200), 250);
  const found = trpc.contacts.list.useQuery(
    { workspaceId, search, limit: 5, sort: "name", deleted: false },
    { enabled: !contact && search.length > 0 },
  );
  if (contact) {
    return (
      <div className="field">
        <span className="tk-label" id={`${id}-label`}>
          Contact
        </span>
        <div className="tk-chosen" role="group" aria-labelledby={`${id}-label`}>
          <span>{contact.name}</span>
          <button type="button" className="button-secondary button-small" onClick={() => onChange(null)}>
            Remove contact
          </button>
        </div>
        {error && <p className="field-error">{error}</p>}
      </div>
    );
  }
  const hits = search.length > 0 ? (found.data?.items ?? []) : [];
  return (
    <div className="stack-sm">
      <TextField
        label="Contact (optional)"
        type="search"
        autoComplete="off"
        value={text}
        onChange={(event) => setText(event.target.value)}
        hint="Search by name, email or company."
        error={error}
      />
      {hits.length > 0 && (
        <ul className="tk-hits" aria-label="Matching contacts">
          {hits.map((hit) => (
            <li key={hit.id}>
              <button
                type="button"
                className="button-secondary button-small"
                onClick={() => onChange({ id: hit.id, name: hit.name })}
              >
                {hit.name}
                {hit.company ? ` · ${hit.company}` : ""}
              </button>
            </li>
          ))}
        </ul>
      )}
      {search.length > 0 && found.data && hits.length === 0 && <p className="muted small">No contact matches.</p>}
    </div>
  );
}
