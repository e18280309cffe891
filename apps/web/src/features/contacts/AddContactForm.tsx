import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { trpc } from "../../trpc";
import { refreshLists } from "./cache";
import { fieldErrors } from "./fieldErrors";
import { FormErrorAlert } from "./FormErrorAlert";
import { focusFirstInvalid, TextField } from "../../components/fields";
import { splitTags } from "./fields";
import { showToast } from "./toast";

const EMPTY = { name: "", email: "", company: "", title: "", phone: "", tags: "" };

/** "Add contact": server zod messages inline per field; a duplicate email links to the existing contact. */
export function AddContactForm({ workspaceId, onClose }: { workspaceId: string; onClose: () => void }) {
  const headingId = useId();
  const queryClient = useQueryClient();
  const [values, setValues] = useState(EMPTY);
  const formRef = useRef<HTMLFormElement>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const create = trpc.contacts.create.useMutation();
  const errors = fieldErrors(create.error);

  useEffect(() => nameRef.current?.focus(), []);

  const set = (field: keyof typeof EMPTY) => (event: { target: { value: string } }) =>
    setValues((current) => ({ ...current, [field]: event.target.value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      {
        workspaceId,
        name: values.name,
        email: values.email.trim() || null,
        company: values.company,
        title: values.title,
        phone: values.phone.trim() || null,
        tags: splitTags(values.tags),
      },
      {
        onSuccess: (contact) => {
          setValues(EMPTY);
          create.reset();
          void refreshLists(queryClient, workspaceId);
          showToast({
            message: `Added ${contact.name}.`,
            link: {
              label: "Open contact",
              to: "/w/$workspaceId/contacts/$contactId",
              params: { workspaceId, contactId: contact.id },
            },
          });
          onClose();
        },
        onError: () => focusFirstInvalid(formRef.current),
      },
    );
  };
  return (
    <section className="card ct-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Add contact</h2>
      <form
        ref={formRef}
        className="ct-form-grid"
        onSubmit={submit}
        onKeyDown={(event) => event.key === "Escape" && onClose()}
        noValidate
      >
        <TextField
          inputRef={nameRef}
          label="Name"
          name="name"
          autoComplete="off"
          required
          maxLength={200}
          value={values.name}
          onChange={set("name")}
          error={errors.fields.name}
        />
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="off"
          value={values.email}
          onChange={set("email")}
          error={errors.fields.email}
        />
        <TextField
          label="Company"
          name="company"
          autoComplete="off"
          value={values.company}
          onChange={set("company")}
          error={errors.fields.company}
        />
        <TextField
          label="Title"
          name="title"
          autoComplete="off"
          value={values.title}
          onChange={set("title")}
          error={errors.fields.title}
        />
        <TextField
          label="Phone"
          name="phone"
          type="tel"
          autoComplete="off"
          value={values.phone}
          onChange={set("phone")}
          error={errors.fields.phone}
        />
        <TextField
          label="Tags"
          name="tags"
          autoComplete="off"
          value={values.tags}
          onChange={set("tags")}
          error={errors.fields.tags}
          hint="Separate tags with commas"
        />
        <FormErrorAlert errors={errors} workspaceId={workspaceId} />
        <div className="ct-actions ct-span-all">
          <button type="submit" disabled={create.isPending}>
            {create.isPending ? "Saving…" : "Save contact"}
          </button>
          <button type="button" className="button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
