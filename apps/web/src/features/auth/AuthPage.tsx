import { useEffect, useId, useRef, useState } from "react";
import { useForm } from "react-hook-form";
import { ErrorMessage } from "../../components/ErrorMessage";
import { focusFirstInvalid } from "../../components/fields";
import { schemaResolver } from "../../components/form";
import { useDocumentTitle, useRetryAfter } from "../../components/hooks";
import { fieldError } from "../../errors";
import { loadRegisterInput, loginInput, registerFieldsInput } from "../../schemas";
import { signIn } from "../../session";
import { trpc, type RouterInputs } from "../../trpc";

type Mode = "signIn" | "register";
interface Values {
  name: string;
  email: string;
  password: string;
}

/**
 * Sign in / create an account. The refresh token goes into an httpOnly cookie, never to this code.
 * Fields are checked with auth.login's and auth.register's own schemas before anything is sent;
 * registration's includes the password rule (its list of common passwords loads when the
 * person switches to "Create an account"; if it cannot load, the server still applies it).
 */
export function AuthPage({ notice, onRetry }: { notice: string | null; onRetry?: (() => void) | undefined }) {
  const [mode, setMode] = useState<Mode>("signIn");
  const form = useForm<Values, unknown, RouterInputs["auth"]["login"] | RouterInputs["auth"]["register"]>({
    mode: "onTouched",
    shouldFocusError: false,
    defaultValues: { name: "", email: "", password: "" },
    resolver:
      mode === "signIn"
        ? schemaResolver(loginInput, ({ email, password }: Values) => ({
            email,
            password,
            refreshTransport: "cookie" as const,
          }))
        : schemaResolver(
            loadRegisterInput,
            ({ email, password, name }: Values) => ({ email, password, name, refreshTransport: "cookie" as const }),
            { fallback: registerFieldsInput },
          ),
  });
  const login = trpc.auth.login.useMutation({ onSuccess: signIn });
  const register = trpc.auth.register.useMutation({ onSuccess: signIn });
  const active = mode === "signIn" ? login : register;
  const wait = useRetryAfter(active.error);
  const id = useId();
  const title = mode === "signIn" ? "Sign in to Rapport" : "Create your Rapport account";
  useDocumentTitle(mode === "signIn" ? "Sign in" : "Create account");

  useEffect(() => {
    if (mode === "register") void loadRegisterInput().catch(() => undefined);
  }, [mode]);

  const formRef = useRef<HTMLFormElement>(null);
  const submit = form.handleSubmit(
    (input) => {
      if (wait > 0) return;
      if ("name" in input) register.mutate(input);
      else login.mutate(input);
    },
    // In page order: "Name" appears above fields registered before it.
    () => focusFirstInvalid(formRef.current),
  );

  const switchMode = (next: Mode) => {
    setMode(next);
    form.clearErrors();
    login.reset();
    register.reset();
  };

  const { errors: formErrors } = form.formState;
  const errors = {
    name: formErrors.name?.message ?? fieldError(active.error, "name"),
    email: formErrors.email?.message ?? fieldError(active.error, "email"),
    password: formErrors.password?.message ?? fieldError(active.error, "password"),
  };
  const describedBy = (field: keyof typeof errors, hint?: string) =>
    [hint, errors[field] ? `${id}-${field}-error` : undefined].filter(Boolean).join(" ") || undefined;

  return (
    <section className="card auth-card" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`}>{title}</h1>
      {notice && (
        <div className="alert alert-info" role="status">
          <p>{notice}</p>
          {onRetry && (
            <p>
              <button type="button" className="button-secondary" onClick={onRetry}>
                Try again
              </button>
            </p>
          )}
        </div>
      )}
      <form ref={formRef} onSubmit={(event) => void submit(event)} className="stack" noValidate>
        {mode === "register" && (
          <div className="field">
            <label htmlFor={`${id}-name`}>Name</label>
            <input
              id={`${id}-name`}
              autoComplete="name"
              required
              maxLength={200}
              aria-invalid={errors.name ? true : undefined}
              aria-describedby={describedBy("name")}
              {...form.register("name")}
            />
            {errors.name && (
              <p id={`${id}-name-error`} className="field-error">
                {errors.name}
              </p>
            )}
          </div>
        )}
        <div className="field">
          <label htmlFor={`${id}-email`}>Email</label>
          <input
            id={`${id}-email`}
            type="email"
            autoComplete={mode === "signIn" ? "username" : "email"}
            required
            aria-invalid={errors.email ? true : undefined}
            aria-describedby={describedBy("email")}
            {...form.register("email")}
          />
          {errors.email && (
            <p id={`${id}-email-error`} className="field-error">
              {errors.email}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor={`${id}-password`}>Password</label>
          <input
            id={`${id}-password`}
            type="password"
            autoComplete={mode === "signIn" ? "current-password" : "new-password"}
            required
            aria-invalid={errors.password ? true : undefined}
            aria-describedby={describedBy("password", mode === "register" ? `${id}-password-hint` : undefined)}
            {...form.register("password")}
          />
          {mode === "register" && (
            <p id={`${id}-password-hint`} className="hint">
              At least 10 characters and not a common password; a long passphrase is best.
            </p>
          )}
          {errors.password && (
            <p id={`${id}-password-error`} className="field-error">
              {errors.password}
            </p>
          )}
        </div>
        <ErrorMessage error={active.error} />
        <button type="submit" disabled={active.isPending || wait > 0}>
          {active.isPending ? "Please wait…" : mode === "signIn" ? "Sign in" : "Create account"}
        </button>
      </form>
      <p className="muted switch-mode">
        {mode === "signIn" ? "New to Rapport? " : "Already have an account? "}
        <button
          type="button"
          className="link-button"
          onClick={() => switchMode(mode === "signIn" ? "register" : "signIn")}
        >
          {mode === "signIn" ? "Create an account" : "Sign in instead"}
        </button>
      </p>
    </section>
  );
}
