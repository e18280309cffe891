import { describeError, type ErrorInfo } from "../../errors";

export interface FieldErrors {
  info: ErrorInfo | null;
  /** First path segment after `prefix` → message(s) for that field. */
  fields: Record<string, string>;
  /** Validation messages that name no field. */
  other: string[];
  /** On CONFLICT: the contact that already has this email. */
  existingContactId: string | null;
}

/**
 * Maps a failed mutation to per-field messages. zod issues arrive as
 * error.data.zodIssues [{ path, message }]; `prefix` skips wrapper segments
 * (["patch"] for contacts.update). A duplicate email (CONFLICT) is shown on the
 * email field too.
 */
export function fieldErrors(error: unknown, prefix: string[] = []): FieldErrors {
  if (!error) return { info: null, fields: {}, other: [], existingContactId: null };
  const info = describeError(error);
  const fields: Record<string, string> = {};
  const other: string[] = [];
  const add = (field: string, message: string) => {
    fields[field] = fields[field] ? `${fields[field]}; ${message}` : message;
  };
  for (const issue of info.issues) {
    const matchesPrefix = prefix.every((segment, index) => issue.path[index] === segment);
    const field = matchesPrefix ? issue.path[prefix.length] : undefined;
    if (field) add(field, issue.message);
    else other.push(issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message);
  }
  const existing = info.details.existingContactId;
  const existingContactId = typeof existing === "string" ? existing : null;
  if (info.code === "CONFLICT" && (info.details.field === "email" || existingContactId)) add("email", info.message);
  return { info, fields, other, existingContactId };
}
