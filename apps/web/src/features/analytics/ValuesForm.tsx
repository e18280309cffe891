import { useQueryClient } from "@tanstack/react-query";
import { useId, useMemo, useState } from "react";
import { useForm } from "react-hook-form";
import { ErrorMessage } from "../../components/ErrorMessage";
import { TextField } from "../../components/fields";
import { schemaResolver } from "../../components/form";
import { describeError } from "../../errors";
import { setValuesInput } from "../../schemas";
import { trpc, type RouterInputs, type RouterOutputs } from "../../trpc";

type Settings = RouterOutputs["analytics"]["metrics"]["settings"];

const VALUE_FIELDS = [
  ["email", "Email"],
  ["meeting", "Meeting"],
  ["call", "Call"],
  ["linkedin", "LinkedIn"],
  ["note", "Note"],
] as const;
type ValueKey = (typeof VALUE_FIELDS)[number][0];
/** Every field as typed: one per interaction type, then the two CLV thresholds. */
type Values = Record<ValueKey | "medium" | "high", string>;

function valuesOf(settings: Settings): Values {
  const text = (value: number) => String(value);
  return {
    email: text(settings.values.email),
    meeting: text(settings.values.meeting),
    call: text(settings.values.call),
    linkedin: text(settings.values.linkedin),
    note: text(settings.values.note),
    medium: text(settings.thresholds.medium),
    high: text(settings.thresholds.high),
  };
}

/** A number field the browser could read; an empty one is not zero. */
const notANumber = (text: string) =>
  text.trim() === "" || !Number.isFinite(Number(text)) ? "must be a number" : undefined;

/**
 * Owners and admins: what each interaction type is worth and where the CLV
 * buckets start. Checked with analytics.setValues' own schema before sending;
 * the server's messages land on the same fields.
 */
export function ValuesForm({ workspaceId, settings }: { workspaceId: string; settings: Settings }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState<string | null>(null);
  const current = useMemo(() => valuesOf(settings), [settings]);
  const form = useForm<Values, unknown, RouterInputs["analytics"]["setValues"]>({
    mode: "onTouched",
    // Follows the saved settings (after a save, or a change made elsewhere) until the owner edits.
    values: current,
    resolver: schemaResolver(
      setValuesInput,
      (values: Values) => ({
        workspaceId,
        values: Object.fromEntries(VALUE_FIELDS.map(([key]) => [key, Number(values[key])])) as Record<ValueKey, number>,
        thresholds: { medium: Number(values.medium), high: Number(values.high) },
      }),
      {
        // values.email → email, thresholds.medium → medium.
        fieldOf: (path) => (path[0] === "values" || path[0] === "thresholds" ? path[1] : undefined),
        local: (values) => Object.fromEntries(Object.entries(values).map(([key, text]) => [key, notANumber(text)])),
      },
    ),
  });
  const setValues = trpc.analytics.setValues.useMutation({
    onSuccess: async (result) => {
      setSaved(`Saved (revision ${result.revision}). The figures above use the new values.`);
      await queryClient.invalidateQueries({ queryKey: [["analytics"]] });
    },
  });
  const issues = setValues.error ? describeError(setValues.error).issues : [];
  const fieldError = (key: keyof Values, path: string[]) =>
    form.formState.errors[key]?.message ?? issues.find((issue) => issue.path.join(".") === path.join("."))?.message;

  const submit = form.handleSubmit((input) => {
    setSaved(null);
    setValues.mutate(input);
  });

  const input = (key: keyof Values, label: string, path: string[]) => (
    <TextField
      key={key}
      label={label}
      type="number"
      inputMode="decimal"
      min={0}
      step={0.01}
      required
      error={fieldError(key, path)}
      {...form.register(key)}
    />
  );

  return (
    <details className="card an-values">
      <summary>Interaction values</summary>
      <form onSubmit={(event) => void submit(event)} className="stack" aria-labelledby={`${id}-legend`} noValidate>
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
            onClick={() => {
              form.clearErrors();
              setValues.mutate({ workspaceId, reset: true });
            }}
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
