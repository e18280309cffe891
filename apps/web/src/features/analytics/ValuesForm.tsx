import { useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { describeError } from "../../errors";
import { trpc, type RouterOutputs } from "../../trpc";

type Settings = RouterOutputs["analytics"]["metrics"]["settings"];

const VALUE_FIELDS = [
  ["email", "Email"],
  ["meeting", "Meeting"],
  ["call", "Call"],
  ["linkedin", "LinkedIn"],
  ["note", "Note"],
] as const;

/** Owners and admins: what each interaction type is worth and where the CLV buckets start. */
export function ValuesForm({ workspaceId, settings }: { workspaceId: string; settings: Settings }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Record<string, string> | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const current: Record<string, string> = {
    ...Object.fromEntries(VALUE_FIELDS.map(([key]) => [key, String(settings.values[key])])),
    medium: String(settings.thresholds.medium),
    high: String(settings.thresholds.high),
  };
  const values = draft ?? current;
  const setValues = trpc.analytics.setValues.useMutation({
    onSuccess: async (result) => {
      setDraft(null);
      setSaved(`Saved (revision ${result.revision}). The figures above use the new values.`);
      await queryClient.invalidateQueries({ queryKey: [["analytics"]] });
    },
  });
  const issues = setValues.error ? describeError(setValues.error).issues : [];
  const fieldError = (path: string[]) => issues.find((issue) => issue.path.join(".") === path.join("."))?.message;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    const number = (key: string) => Number(values[key]);
    setValues.mutate({
      workspaceId,
      values: Object.fromEntries(VALUE_FIELDS.map(([key]) => [key, number(key)])) as Record<
        (typeof VALUE_FIELDS)[number][0],
        number
      >,
      thresholds: { medium: number("medium"), high: number("high") },
    });
  };

  const input = (key: string, label: string, path: string[]) => {
    const error = fieldError(path);
    return (
      <div className="field" key={key}>
        <label htmlFor={`${id}-${key}`}>{label}</label>
        <input
          id={`${id}-${key}`}
          type="number"
          inputMode="decimal"
          min={0}
          step={0.01}
          required
          value={values[key]}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-${key}-error` : undefined}
          onChange={(event) => setDraft({ ...values, [key]: event.target.value })}
        />
        {error && (
          <p className="field-error" id={`${id}-${key}-error`}>
            {error}
          </p>
        )}
      </div>
    );
  };

  return (
    <details className="card an-values">
      <summary>Interaction values</summary>
      <form onSubmit={submit} className="stack" aria-labelledby={`${id}-legend`}>
        <p className="hint" id={`${id}-legend`}>
          What one interaction of each type is worth (dollars), and where the CLV buckets start. Owners and admins only;
          applies to every figure at once.
        </p>
        <fieldset className="an-values-grid">
          <legend>Value per interaction</legend>
          {VALUE_FIELDS.map(([key, label]) => input(key, label, ["values", key]))}
        </fieldset>
        <fieldset className="an-values-grid">
          <legend>CLV buckets</legend>
          {input("medium", "Medium from", ["thresholds", "medium"])}
          {input("high", "High from", ["thresholds", "high"])}
        </fieldset>
        {setValues.error && <ErrorMessage error={setValues.error} title="Could not save the values" />}
        <div className="button-row">
          <button type="submit" disabled={setValues.isPending}>
            {setValues.isPending ? "Saving…" : "Save values"}
          </button>
          <button
            type="button"
            className="button-secondary"
            disabled={setValues.isPending}
            onClick={() => setValues.mutate({ workspaceId, reset: true })}
          >
            Reset to defaults
          </button>
        </div>
        <p role="status" className="muted small">
          {saved}
        </p>
      </form>
    </details>
  );
}
