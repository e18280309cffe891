import {
  useId,
  type InputHTMLAttributes,
  type ReactNode,
  type Ref,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from "react";

/**
 * Labelled form fields whose hint and message (the schema's, or the server's)
 * sit right under them, wired with aria-describedby and aria-invalid, used by
 * every form in the SPA. `{...form.register(name)}` spreads onto them: its `ref`
 * reaches the control, so react-hook-form can focus the first invalid field.
 */
interface FieldProps {
  label: string;
  error?: string;
  hint?: ReactNode;
  className?: string;
}

function describedBy(id: string, hint: unknown, error: unknown): string | undefined {
  return [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
}

function Field({ id, label, hint, error, className, children }: FieldProps & { id: string; children: ReactNode }) {
  return (
    <div className={`field${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

export function TextField({
  label,
  error,
  hint,
  className,
  inputRef,
  ...input
}: FieldProps &
  InputHTMLAttributes<HTMLInputElement> & { inputRef?: Ref<HTMLInputElement>; ref?: Ref<HTMLInputElement> }) {
  const id = useId();
  return (
    <Field id={id} label={label} hint={hint} error={error} className={className}>
      <input
        ref={inputRef}
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        {...input}
      />
    </Field>
  );
}

export function TextAreaField({
  label,
  error,
  hint,
  className,
  textareaRef,
  ...textarea
}: FieldProps &
  TextareaHTMLAttributes<HTMLTextAreaElement> & {
    textareaRef?: Ref<HTMLTextAreaElement>;
    ref?: Ref<HTMLTextAreaElement>;
  }) {
  const id = useId();
  return (
    <Field id={id} label={label} hint={hint} error={error} className={className}>
      <textarea
        ref={textareaRef}
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        {...textarea}
      />
    </Field>
  );
}

export function SelectField({
  label,
  error,
  hint,
  className,
  children,
  selectRef,
  ...select
}: FieldProps &
  SelectHTMLAttributes<HTMLSelectElement> & { selectRef?: Ref<HTMLSelectElement>; ref?: Ref<HTMLSelectElement> }) {
  const id = useId();
  return (
    <Field id={id} label={label} hint={hint} error={error} className={className}>
      <select
        ref={selectRef}
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        {...select}
      >
        {children}
      </select>
    </Field>
  );
}

/** Focuses the first field marked invalid inside `form` (after a failed save). */
export function focusFirstInvalid(form: HTMLElement | null) {
  requestAnimationFrame(() => form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
}
