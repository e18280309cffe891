import { useId, useState, type FormEvent } from "react";
import { ErrorMessage } from "../components/ErrorMessage";
import { signIn } from "../session";
import { trpc } from "../trpc";

type Mode = "signIn" | "register";

export function AuthPage({ notice }: { notice: string | null }) {
  const [mode, setMode] = useState<Mode>("signIn");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const login = trpc.auth.login.useMutation({ onSuccess: signIn });
  const register = trpc.auth.register.useMutation({ onSuccess: signIn });
  const active = mode === "signIn" ? login : register;
  const id = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (mode === "signIn") login.mutate({ email, password });
    else register.mutate({ email, password, name });
  };

  const switchMode = (next: Mode) => {
    setMode(next);
    login.reset();
    register.reset();
  };

  return (
    <section className="card auth-card" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`}>{mode === "signIn" ? "Sign in to Rapport" : "Create your Rapport account"}</h1>
      {notice && (
        <p className="alert alert-info" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} className="stack" noValidate>
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
              onChange={(event) => setName(event.target.value)}
            />
          </div>
        )}
        <div className="field">
          <label htmlFor={`${id}-email`}>Email</label>
          <input
            id={`${id}-email`}
            name="email"
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-password`}>Password</label>
          <input
            id={`${id}-password`}
            name="password"
            type="password"
            autoComplete={mode === "signIn" ? "current-password" : "new-password"}
            required
            aria-describedby={mode === "register" ? `${id}-password-hint` : undefined}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
          {mode === "register" && (
            <p id={`${id}-password-hint`} className="hint">
              Use a long passphrase; the server tells you if it is too short.
            </p>
          )}
        </div>
        <ErrorMessage error={active.error} />
        <button type="submit" disabled={active.isPending}>
          {active.isPending ? "Please wait…" : mode === "signIn" ? "Sign in" : "Create account"}
        </button>
      </form>
      <p className="muted switch-mode">
        {mode === "signIn" ? "New to Rapport? " : "Already have an account? "}
        <button type="button" className="link-button" onClick={() => switchMode(mode === "signIn" ? "register" : "signIn")}>
          {mode === "signIn" ? "Create an account" : "Sign in instead"}
        </button>
      </p>
    </section>
  );
}
