import type { FieldErrors, FieldValues, Resolver } from "react-hook-form";
import type { z } from "zod";

type InputSchema<TInput> = z.ZodType<unknown, TInput>;

/**
 * A react-hook-form resolver that checks a form with the server's own input
 * schema (from `@rapport/core/schemas`), so a field shows the server's message
 * before anything is sent. `toInput` turns the form's values (text as typed)
 * into the procedure's input exactly as it will be sent; each issue lands on
 * the field its path names after `prefix` (`["patch"]` for contacts.update),
 * several on one field joined like the server's answer is. An issue no field of
 * the form shows does not hold the form back: the server answers it, and the
 * form shows that answer. What the form submits is the input, not the parsed
 * result: the server parses it again.
 *
 * `local` adds checks only the form can make (text the browser could not read
 * as a date, say), by field, before the schema's. `fieldOf` replaces `prefix`
 * where the input nests its fields deeper (analytics.setValues'
 * `values.email` is the form's `email` field).
 *
 * `schema` may be a loader, for a rule too large for the first chunk (the
 * password rule): until it arrives the form waits; if it cannot load, `fallback`
 * checks the rest and the server still applies the whole rule.
 */
export function schemaResolver<TValues extends FieldValues, TInput>(
  schema: InputSchema<TInput> | (() => Promise<InputSchema<TInput>>),
  toInput: (values: TValues) => TInput,
  {
    prefix = [],
    fieldOf = (path) => (prefix.every((segment, index) => path[index] === segment) ? path[prefix.length] : undefined),
    fallback,
    local,
  }: {
    prefix?: string[];
    fieldOf?: (path: string[]) => string | undefined;
    fallback?: InputSchema<TInput>;
    local?: (values: TValues) => Partial<Record<keyof TValues & string, string>>;
  } = {},
): Resolver<TValues, unknown, TInput> {
  return async (values, _context, options) => {
    const input = toInput(values);
    const resolved = typeof schema === "function" ? await schema().catch(() => fallback) : schema;
    const result = resolved ? await resolved.safeParseAsync(input) : { success: true as const };
    const messages = new Map<string, string[]>();
    for (const [field, message] of Object.entries(local?.(values) ?? {})) {
      if (message && field in options.fields) messages.set(field, [message as string]);
    }
    for (const issue of result.success ? [] : result.error.issues) {
      const field = fieldOf(issue.path.map(String));
      if (!field || !(field in options.fields) || local?.(values)[field]) continue;
      const list = messages.get(field) ?? [];
      if (!list.includes(issue.message)) messages.set(field, [...list, issue.message]);
    }
    if (messages.size === 0) return { values: input, errors: {} };
    const errors: Record<string, { type: string; message: string }> = {};
    for (const [field, list] of messages) errors[field] = { type: "schema", message: list.join("; ") };
    return { values: {}, errors: errors as FieldErrors<TValues> };
  };
}
