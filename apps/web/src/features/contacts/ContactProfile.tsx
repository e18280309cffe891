import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { trpc, type RouterInputs } from "../../trpc";
import { patchInLists, type Contact } from "./cache";
import { fieldErrors } from "./fieldErrors";
import { FormErrorAlert } from "./FormErrorAlert";
import { focusFirstInvalid, TextField } from "../../components/fields";
import { dateFormat } from "../../components/time";
import { showToast } from "./toast";

type Editable = "name" | "email" | "company" | "title" | "phone";
const SOURCE_LABEL: Record<string, string> = { manual: "Added by hand", import: "CSV import", gmail: "Gmail" };

function valuesOf(contact: Contact): Record<Editable, string> {
  return {
    name: contact.name,
    email: contact.email ?? "",
    company: contact.company ?? "",
    title: contact.title ?? "",
    phone: contact.phone ?? "",
  };
}

/** Only the fields that differ from the saved contact (contacts.update takes a patch). */
function patchOf(contact: Contact, values: Record<Editable, string>) {
  const patch: RouterInputs["contacts"]["update"]["patch"] = {};
  if (values.name.trim() !== contact.name) patch.name = values.name;
  const email = values.email.trim();
  if ((email.toLowerCase() || null) !== (contact.email?.toLowerCase() ?? null)) patch.email = email || null;
  for (const field of ["company", "title", "phone"] as const) {
    const next = values[field].trim();
    if ((next || null) !== (contact[field] ?? null)) patch[field] = next ? values[field] : null;
  }
  return patch;
}

/** Shows the profile; "Edit profile" turns it into a form in place (not offered when `readOnly`, e.g. an erased contact). */
export function ContactProfile({
  workspaceId,
  contact,
  readOnly = false,
}: {
  workspaceId: string;
  contact: Contact;
  readOnly?: boolean;
}) {
  const id = useId();
  const [editing, setEditing] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const finish = () => {
    setEditing(false);
    requestAnimationFrame(() => editButton.current?.focus());
  };

  return (
    <section className="card ct-profile" aria-labelledby={`${id}-title`}>
      <div className="ct-section-head">
        <h2 id={`${id}-title`}>Profile</h2>
        {!editing && !readOnly && (
          <button ref={editButton} type="button" className="button-secondary" onClick={() => setEditing(true)}>
            Edit profile
          </button>
        )}
      </div>
      {editing && !readOnly ? (
        <ProfileForm workspaceId={workspaceId} contact={contact} onDone={finish} />
      ) : (
        <dl className="ct-details">
          <div>
            <dt>Email</dt>
            <dd>
              {contact.email ? (
                <a href={`mailto:${contact.email}`}>{contact.email}</a>
              ) : (
                <span className="muted">Not set</span>
              )}
            </dd>
          </div>
          <div>
            <dt>Company</dt>
            <dd>{contact.company ?? <span className="muted">Not set</span>}</dd>
          </div>
          <div>
            <dt>Title</dt>
            <dd>{contact.title ?? <span className="muted">Not set</span>}</dd>
          </div>
          <div>
            <dt>Phone</dt>
            <dd>
              {contact.phone ? (
                <a href={`tel:${contact.phone.replace(/[^\d+]/g, "")}`}>{contact.phone}</a>
              ) : (
                <span className="muted">Not set</span>
              )}
            </dd>
          </div>
          <div>
            <dt>Source</dt>
            <dd>{SOURCE_LABEL[contact.source] ?? contact.source}</dd>
          </div>
          <div>
            <dt>Added</dt>
            <dd>
              <time dateTime={contact.createdAt.toISOString()}>{dateFormat.format(contact.createdAt)}</time>
            </dd>
          </div>
          <div>
            <dt>Updated</dt>
            <dd>
              <time dateTime={contact.updatedAt.toISOString()}>{dateFormat.format(contact.updatedAt)}</time>
            </dd>
          </div>
        </dl>
      )}
    </section>
  );
}

function ProfileForm({ workspaceId, contact, onDone }: { workspaceId: string; contact: Contact; onDone: () => void }) {
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const [values, setValues] = useState(() => valuesOf(contact));
  const formRef = useRef<HTMLFormElement>(null);
  const firstRef = useRef<HTMLInputElement>(null);
  const update = trpc.contacts.update.useMutation();
  const errors = fieldErrors(update.error, ["patch"]);

  useEffect(() => firstRef.current?.focus(), []);

  const set = (field: Editable) => (event: { target: { value: string } }) =>
    setValues((current) => ({ ...current, [field]: event.target.value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const patch = patchOf(contact, values);
    if (Object.keys(patch).length === 0) return onDone();
    update.mutate(
      { workspaceId, contactId: contact.id, patch },
      {
        onSuccess: (updated) => {
          utils.contacts.get.setData({ workspaceId, contactId: contact.id }, updated);
          patchInLists(queryClient, workspaceId, updated);
          showToast({ message: "Profile saved." });
          onDone();
        },
        onError: () => focusFirstInvalid(formRef.current),
      },
    );
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Escape") {
      event.preventDefault();
      onDone();
    }
  };
  return (
    <form ref={formRef} className="ct-form-grid" onSubmit={submit} onKeyDown={onKeyDown} noValidate>
      <TextField
        inputRef={firstRef}
        label="Name"
        required
        maxLength={200}
        autoComplete="off"
        value={values.name}
        onChange={set("name")}
        error={errors.fields.name}
      />
      <TextField
        label="Email"
        type="email"
        autoComplete="off"
        value={values.email}
        onChange={set("email")}
        error={errors.fields.email}
      />
      <TextField
        label="Company"
        autoComplete="off"
        value={values.company}
        onChange={set("company")}
        error={errors.fields.company}
      />
      <TextField
        label="Title"
        autoComplete="off"
        value={values.title}
        onChange={set("title")}
        error={errors.fields.title}
      />
      <TextField
        label="Phone"
        type="tel"
        autoComplete="off"
        value={values.phone}
        onChange={set("phone")}
        error={errors.fields.phone}
      />
      <FormErrorAlert errors={errors} workspaceId={workspaceId} />
      <div className="ct-actions ct-span-all">
        <button type="submit" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save changes"}
        </button>
        <button type="button" className="button-secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Tag chips with remove buttons and an "Add tag" field (each change is one contacts.update). */
export function TagEditor({ workspaceId, contact }: { workspaceId: string; contact: Contact }) {
  const id = useId();
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const [draft, setDraft] = useState("");
  const inputRef = useRef<HTMLInputElement>(null);
  const update = trpc.contacts.update.useMutation({
    onSuccess: (updated) => {
      utils.contacts.get.setData({ workspaceId, contactId: contact.id }, updated);
      patchInLists(queryClient, workspaceId, updated);
    },
  });
  const errors = fieldErrors(update.error, ["patch"]);
  const error = errors.fields.tags ?? errors.info?.message;

  const save = (tags: string[], after?: () => void) =>
    update.mutate({ workspaceId, contactId: contact.id, patch: { tags } }, { onSuccess: () => after?.() });

  const add = (event: FormEvent) => {
    event.preventDefault();
    const tags = draft
      .split(/[,;]/)
      .map((tag) => tag.trim().toLowerCase())
      .filter(Boolean);
    if (tags.length === 0) return;
    save([...contact.tags, ...tags], () => {
      setDraft("");
      inputRef.current?.focus();
    });
  };

  return (
    <section className="card ct-tags" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Tags</h2>
      {contact.tags.length === 0 ? (
        <p className="muted">No tags yet.</p>
      ) : (
        <ul className="ct-chip-list" aria-labelledby={`${id}-title`}>
          {contact.tags.map((tag) => (
            <li key={tag} className="ct-chip ct-chip-removable">
              <span>{tag}</span>
              <button
                type="button"
                aria-label={`Remove tag ${tag}`}
                disabled={update.isPending}
                onClick={() =>
                  save(
                    contact.tags.filter((other) => other !== tag),
                    () => inputRef.current?.focus(),
                  )
                }
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="ct-tag-form" onSubmit={add} noValidate>
        <div className="field ct-field">
          <label htmlFor={`${id}-new`}>New tag</label>
          <input
            ref={inputRef}
            id={`${id}-new`}
            maxLength={50}
            autoComplete="off"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
          />
        </div>
        <button type="submit" className="button-secondary" disabled={update.isPending}>
          Add tag
        </button>
      </form>
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
