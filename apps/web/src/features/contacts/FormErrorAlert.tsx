import { Link } from "@tanstack/react-router";
import type { FieldErrors } from "./fieldErrors";

/** The summary under a form: what failed, messages that name no field, and a link to the contact a duplicate collides with. */
export function FormErrorAlert({ errors, workspaceId }: { errors: FieldErrors; workspaceId: string }) {
  if (!errors.info) return null;
  const hasFieldErrors = Object.keys(errors.fields).length > 0;
  return (
    <div className="alert alert-error ct-span-all" role="alert">
      <p className="alert-title">
        {hasFieldErrors && errors.info.code === "BAD_REQUEST" ? "Check the highlighted fields." : errors.info.message}
      </p>
      {errors.other.length > 0 && (
        <ul>
          {errors.other.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
      {errors.existingContactId && (
        <p>
          <Link to="/w/$workspaceId/contacts/$contactId" params={{ workspaceId, contactId: errors.existingContactId }}>
            Open the existing contact
          </Link>
        </p>
      )}
    </div>
  );
}
