import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { useForm } from "react-hook-form";
import { schemaResolver } from "../../components/form";
import { splitTags, updateContactInput } from "../../schemas";
import { trpc, type RouterInputs } from "../../trpc";
import { patchInLists, type Contact } from "./cache";
import { fieldErrors } from "./fieldErrors";
import { FormErrorAlert } from "./FormErrorAlert";
import { focusFirstInvalid, TextField } from "../../components/fields";
import { dateFormat } from "../../components/time";
import { showToast } from "../../components/toast";

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

/** Why editing is off while processing of the contact is restricted: the server refuses edits until it is lifted. */
const RESTRICTED_EDIT_NOTE =
  "Editing is paused while processing is restricted (GDPR Art. 18). An owner or admin can lift the restriction first.";

/**
 * Shows the profile; "Edit profile" turns it into a form in place (not offered when `readOnly`,
 * e.g. an erased contact, nor while `restricted`, which says why).
 */
export function ContactProfile({
  workspaceId,
  contact,
  readOnly = false,
  restricted = false,
}: {
  workspaceId: string;
  contact: Contact;
  readOnly?: boolean;
  restricted?: boolean;
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
        {!editing && !readOnly && !restricted && (
          <button ref={editButton} type="button" className="button-secondary" onClick={() => setEditing(true)}>
            Edit profile
          </button>
        )}
      </div>
      {restricted && !readOnly && <p className="muted">{RESTRICTED_EDIT_NOTE}</p>}
      {editing && !readOnly && !restricted ? (
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
  const formRef = useRef<HTMLFormElement>(null);
  // Checked with contacts.update's schema, field by field, before anything is sent.
  const form = useForm<Record<Editable, string>, unknown, RouterInputs["contacts"]["update"]>({
    mode: "onTouched",
    defaultValues: valuesOf(contact),
    resolver: schemaResolver(
      updateContactInput,
      (values: Record<Editable, string>) => ({ workspaceId, contactId: contact.id, patch: patchOf(contact, values) }),
      { prefix: ["patch"] },
    ),
  });
  const update = trpc.contacts.update.useMutation();
  const errors = fieldErrors(update.error, ["patch"]);
  const error = (field: Editable) => form.formState.errors[field]?.message ?? errors.fields[field];

  const { setFocus } = form;
  useEffect(() => setFocus("name"), [setFocus]);

  const submit = form.handleSubmit((input) => {
    if (Object.keys(input.patch).length === 0) return onDone();
    update.mutate(input, {
      onSuccess: (updated) => {
        utils.contacts.get.setData({ workspaceId, contactId: contact.id }, updated);
        patchInLists(queryClient, workspaceId, updated);
        showToast({ message: "Profile saved." });
        onDone();
      },
      onError: () => focusFirstInvalid(formRef.current),
    });
  });

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Escape") {
      event.preventDefault();
      onDone();
    }
  };
  return (
    <form
      ref={formRef}
      className="ct-form-grid"
      onSubmit={(event) => void submit(event)}
      onKeyDown={onKeyDown}
      noValidate
    >
      <TextField
        label="Name"
        required
        maxLength={200}
        autoComplete="off"
        {...form.register("name")}
        error={error("name")}
      />
      <TextField label="Email" type="email" autoComplete="off" {...form.register("email")} error={error("email")} />
      <TextField label="Company" autoComplete="off" {...form.register("company")} error={error("company")} />
      <TextField label="Title" autoComplete="off" {...form.register("title")} error={error("title")} />
      <TextField label="Phone" type="tel" autoComplete="off" {...form.register("phone")} error={error("phone")} />
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

/**
 * Tag chips with remove buttons and an "Add tag" field (each change is one contacts.update);
 * only the chips while `restricted`.
 */
export function TagEditor({
  workspaceId,
  contact,
  restricted = false,
}: {
  workspaceId: string;
  contact: Contact;
  restricted?: boolean;
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const inputRef = useRef<HTMLInputElement | null>(null);
  const newTags = (text: string) => splitTags(text).map((tag) => tag.toLowerCase());
  // The new tags are checked with contacts.update's schema (length, how many) before anything is sent.
  const form = useForm<{ tags: string }, unknown, RouterInputs["contacts"]["update"]>({
    mode: "onSubmit",
    defaultValues: { tags: "" },
    resolver: schemaResolver(
      updateContactInput,
      (values: { tags: string }) => ({
        workspaceId,
        contactId: contact.id,
        patch: { tags: [...contact.tags, ...newTags(values.tags)] },
      }),
      { prefix: ["patch"] },
    ),
  });
  const update = trpc.contacts.update.useMutation({
    onSuccess: (updated) => {
      utils.contacts.get.setData({ workspaceId, contactId: contact.id }, updated);
      patchInLists(queryClient, workspaceId, updated);
    },
  });
  const errors = fieldErrors(update.error, ["patch"]);
  const error = form.formState.errors.tags?.message ?? errors.fields.tags ?? errors.info?.message;

  const save = (tags: string[], after?: () => void) =>
    update.mutate({ workspaceId, contactId: contact.id, patch: { tags } }, { onSuccess: () => after?.() });

  const add = form.handleSubmit((input) => {
    if (newTags(form.getValues("tags")).length === 0) return;
    update.mutate(input, {
      onSuccess: () => {
        form.reset();
        inputRef.current?.focus();
      },
    });
  });
  const { ref: registerRef, ...tagsField } = form.register("tags");

  return (
    <section className="card ct-tags" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Tags</h2>
      {contact.tags.length === 0 ? (
        <p className="muted">No tags yet.</p>
      ) : (
        <ul className="ct-chip-list" aria-labelledby={`${id}-title`}>
          {contact.tags.map((tag) => (
            <li key={tag} className={restricted ? "ct-chip" : "ct-chip ct-chip-removable"}>
              <span>{tag}</span>
              {!restricted && (
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
              )}
            </li>
          ))}
        </ul>
      )}
      {restricted ? (
        <p className="muted">{RESTRICTED_EDIT_NOTE}</p>
      ) : (
        <form className="ct-tag-form" onSubmit={(event) => void add(event)} noValidate>
          <div className="field ct-field">
            <label htmlFor={`${id}-new`}>New tag</label>
            <input
              ref={(element) => {
                registerRef(element);
                inputRef.current = element;
              }}
              id={`${id}-new`}
              maxLength={50}
              autoComplete="off"
              {...tagsField}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? `${id}-error` : undefined}
            />
          </div>
          <button type="submit" className="button-secondary" disabled={update.isPending}>
            Add tag
          </button>
        </form>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
