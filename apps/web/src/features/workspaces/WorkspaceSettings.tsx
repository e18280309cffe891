import { useId, useMemo } from "react";
import { useForm } from "react-hook-form";
import { ErrorMessage } from "../../components/ErrorMessage";
import { SelectField, TextField } from "../../components/fields";
import { schemaResolver } from "../../components/form";
import { fieldError } from "../../errors";
import { updateWorkspaceInput } from "../../schemas";
import { trpc, type RouterInputs } from "../../trpc";
import type { CurrentWorkspace } from "../shell/workspace";

interface Values {
  name: string;
  /** "" for none. */
  phoneCountry: string;
}

const countryNames = new Intl.DisplayNames(undefined, { type: "region" });

/**
 * The workspace's name and the country its phone numbers without a country code are read in
 * (so "030 1234567" and "+49 30 1234567" are found to be one number). Owners and admins.
 */
export function WorkspaceSettings({ workspace }: { workspace: CurrentWorkspace }) {
  const id = useId();
  const utils = trpc.useUtils();
  const countries = trpc.workspaces.phoneCountries.useQuery(undefined, { staleTime: Number.POSITIVE_INFINITY });
  const options = useMemo(
    () =>
      (countries.data ?? [])
        .map((country) => ({ ...country, name: countryNames.of(country.code) ?? country.code }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    [countries.data],
  );
  const saved = { name: workspace.name, phoneCountry: workspace.phoneCountry ?? "" };
  const form = useForm<Values, unknown, RouterInputs["workspaces"]["update"]>({
    values: saved,
    resolver: schemaResolver(updateWorkspaceInput, (values: Values) => ({
      workspaceId: workspace.id,
      name: values.name,
      phoneCountry: values.phoneCountry === "" ? null : values.phoneCountry,
    })),
  });
  const update = trpc.workspaces.update.useMutation({
    onSuccess: () => utils.workspaces.list.invalidate(),
  });
  const submit = form.handleSubmit((input) => {
    update.reset();
    update.mutate(input);
  });
  const { isDirty } = form.formState;

  return (
    <section className="card stack" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Workspace settings</h2>
      <form className="stack-sm" onSubmit={(event) => void submit(event)} noValidate>
        <TextField
          label="Name"
          autoComplete="off"
          required
          error={form.formState.errors.name?.message ?? fieldError(update.error, "name")}
          {...form.register("name")}
        />
        <SelectField
          label="Phone numbers without a country code are from"
          hint="Duplicates are then found between “030 1234567” and “+49 30 1234567”."
          error={form.formState.errors.phoneCountry?.message ?? fieldError(update.error, "phoneCountry")}
          disabled={countries.isPending}
          {...form.register("phoneCountry")}
        >
          <option value="">No country: match only numbers written alike</option>
          {/* The saved country shows while the list loads. */}
          {countries.isPending && workspace.phoneCountry && (
            <option value={workspace.phoneCountry}>{workspace.phoneCountry}</option>
          )}
          {options.map((country) => (
            <option key={country.code} value={country.code}>
              {country.name} (+{country.callingCode})
            </option>
          ))}
        </SelectField>
        {countries.error && (
          <ErrorMessage
            error={countries.error}
            title="Could not load the list of countries"
            onRetry={() => void countries.refetch()}
          />
        )}
        <div className="button-row">
          <button type="submit" disabled={!isDirty || update.isPending}>
            {update.isPending ? "Saving…" : "Save settings"}
          </button>
        </div>
        <div role="status">
          {update.isSuccess && !isDirty && <p className="alert alert-success">Settings saved.</p>}
        </div>
        {update.error && !fieldError(update.error, "name") && !fieldError(update.error, "phoneCountry") && (
          <ErrorMessage error={update.error} title="Could not save the settings" />
        )}
      </form>
    </section>
  );
}
