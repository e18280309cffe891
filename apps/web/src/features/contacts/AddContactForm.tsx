import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { useForm } from "react-hook-form";
import { schemaResolver } from "../../components/form";
import { createContactInput, splitTags } from "../../schemas";
import { trpc, type RouterInputs } from "../../trpc";
import { refreshLists } from "./cache";
import { fieldErrors } from "./fieldErrors";
import { FormErrorAlert } from "./FormErrorAlert";
import { focusFirstInvalid, TextField } from "../../components/fields";
import { showToast } from "../../components/toast";
import { LikelyDuplicates } from "./LikelyDuplicates";

const EMPTY = { name: "", email: "", company: "", title: "", phone: "", tags: "" };
type Values = typeof EMPTY;

/**
 * "Add contact": each field is checked with contacts.create's own schema on blur
 * and on save, so a mistake shows at once and nothing is sent; the server's
 * messages still land on the same fields; a duplicate email links to the existing contact.
 */
export function AddContactForm({ workspaceId, onClose }: { workspaceId: string; onClose: () => void }) {
  const headingId = useId();
  const queryClient = useQueryClient();
  const formRef = useRef<HTMLFormElement>(null);
  const form = useForm<Values, unknown, RouterInputs["contacts"]["create"]>({
    mode: "onTouched",
    defaultValues: EMPTY,
    resolver: schemaResolver(createContactInput, (values: Values) => ({
      workspaceId,
      name: values.name,
      email: values.email.trim() || null,
      company: values.company,
      title: values.title,
      phone: values.phone.trim() || null,
      tags: splitTags(values.tags),
    })),
  });
  const create = trpc.contacts.create.useMutation();
  const errors = fieldErrors(create.error);
  const error = (field: keyof Values) => form.formState.errors[field]?.message ?? errors.fields[field];

  const [likelyDuplicate, setLikelyDuplicate] = useState(false);
  const { setFocus } = form;
  useEffect(() => setFocus("name"), [setFocus]);

  const submit = form.handleSubmit((input) => {
    create.mutate(input, {
      onSuccess: (contact) => {
        form.reset();
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
    });
  });
  return (
    <section className="card ct-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Add contact</h2>
      <form
        ref={formRef}
        className="ct-form-grid"
        onSubmit={(event) => void submit(event)}
        onKeyDown={(event) => event.key === "Escape" && onClose()}
        noValidate
      >
        <TextField
          label="Name"
          autoComplete="off"
          required
          maxLength={200}
          {...form.register("name")}
          error={error("name")}
        />
        <TextField label="Email" type="email" autoComplete="off" {...form.register("email")} error={error("email")} />
        <TextField label="Company" autoComplete="off" {...form.register("company")} error={error("company")} />
        <TextField label="Title" autoComplete="off" {...form.register("title")} error={error("title")} />
        <TextField label="Phone" type="tel" autoComplete="off" {...form.register("phone")} error={error("phone")} />
        <TextField
          label="Tags"
          autoComplete="off"
          {...form.register("tags")}
          error={error("tags")}
          hint="Separate tags with commas"
        />
        <FormErrorAlert errors={errors} workspaceId={workspaceId} />
        <LikelyDuplicates workspaceId={workspaceId} values={form.watch()} onFound={setLikelyDuplicate} />
        <div className="ct-actions ct-span-all">
          <button type="submit" disabled={create.isPending}>
            {create.isPending ? "Saving…" : likelyDuplicate ? "Create anyway" : "Save contact"}
          </button>
          <button type="button" className="button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
