import { useEffect, useId, useState, type FormEvent } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useDocumentTitle, useRetryAfter } from "../../components/hooks";
import { fieldError } from "../../errors";
import { signIn } from "../../session";
import { trpc } from "../../trpc";

type Mode = "signIn" | "register";

type PasswordRule = typeof import("@rapport/core/password-rule");
// The server's rule, with its list of common passwords: a chunk of its own, loaded only for registration.
let passwordRule: Promise<PasswordRule> | null = null;
const loadPasswordRule = () => (passwordRule ??= import("@rapport/core/password-rule"));

/** Sign in / create an account. The refresh token goes into an httpOnly cookie, never to this code. */
export function AuthPage({ notice, onRetry }: { notice: string | null; onRetry?: (() => void) | undefined }) {
  const [mode, setMode] = useState<Mode>("signIn");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  // Checked here first so a refused password never leaves the browser; the server checks it again.
  const [passwordProblem, setPasswordProblem] = useState<string | null>(null);
  const login = trpc.auth.login.useMutation({ onSuccess: signIn });
  const register = trpc.auth.register.useMutation({ onSuccess: signIn });
  const active = mode === "signIn" ? login : register;
  const wait = useRetryAfter(active.error);
  const id = useId();
  const title = mode === "signIn" ? "Sign in to Rapport" : "Create your Rapport account";
  useDocumentTitle(mode === "signIn" ? "Sign in" : "Create account");

  useEffect(() => {
    if (mode === "register") void loadPasswordRule().catch(() => undefined);
  }, [mode]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (wait > 0) return;
    if (mode === "signIn") return login.mutate({ email, password, refreshTransport: "cookie" });
    // If the rule cannot load, the server still applies it.
    const rule = await loadPasswordRule().catch(() => null);
    const problem = rule?.passwordProblem(password, { email }) ?? null;
    setPasswordProblem(problem);
    if (!problem) register.mutate({ email, password, name, refreshTransport: "cookie" });
  };

  const switchMode = (next: Mode) => {
    setMode(next);
    setPasswordProblem(null);
    login.reset();
    register.reset();
  };

  const errors = {
    name: fieldError(active.error, "name"),
    email: fieldError(active.error, "email"),
    password: (mode === "register" ? passwordProblem : null) ?? fieldError(active.error, "password"),
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
      <form onSubmit={(event) => void submit(event)} className="stack" noValidate>
        {mode === "register" && (
          <div className="field">
            <label htmlFor={`${id}-name`}>Name</label>
            <input
              id={`${id}-name`}
              name="name"
              autoComplete="name"
              required
              maxLength={200}
              value={name}
              aria-invalid={errors.name ? true : undefined}
              aria-describedby={describedBy("name")}
              onChange={(event) => setName(event.target.value)}
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
            name="email"
            type="email"
            autoComplete={mode === "signIn" ? "username" : "email"}
            required
            value={email}
            aria-invalid={errors.email ? true : undefined}
            aria-describedby={describedBy("email")}
            onChange={(event) => setEmail(event.target.value)}
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
            name="password"
            type="password"
            autoComplete={mode === "signIn" ? "current-password" : "new-password"}
            required
            aria-invalid={errors.password ? true : undefined}
            aria-describedby={describedBy("password", mode === "register" ? `${id}-password-hint` : undefined)}
            value={password}
            onChange={(event) => {
              setPassword(event.target.value);
              setPasswordProblem(null);
            }}
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
