import { Link } from "@tanstack/react-router";
import { useEffect } from "react";
import { useDebounced } from "../../components/hooks";
import { checkDuplicatesInput } from "../../schemas";
import { trpc } from "../../trpc";

interface Values {
  name: string;
  email: string;
  company: string;
  phone: string;
}

/**
 * The contact form's warning: existing contacts the one being typed probably is ("Looks like
 * Ana Lima at Acme — open her, or create anyway"), asked once typing pauses.
 */
export function LikelyDuplicates({
  workspaceId,
  values,
  onFound,
}: {
  workspaceId: string;
  values: Values;
  onFound: (found: boolean) => void;
}) {
  // Debounced as text: a new object each render would restart the timer for ever.
  const typed = JSON.parse(
    useDebounced(
      JSON.stringify({
        workspaceId,
        name: values.name,
        email: values.email.trim() || null,
        company: values.company.trim() || null,
        phone: values.phone.trim() || null,
      }),
      400,
    ),
  ) as { workspaceId: string; name: string; email: string | null; company: string | null; phone: string | null };
  // Only a check the server would accept, and only when there is more than a name to go on.
  const parsed = checkDuplicatesInput.safeParse(typed);
  const enabled = parsed.success && Boolean(typed.email || typed.company || typed.phone);
  const check = trpc.duplicates.check.useQuery(parsed.success ? parsed.data : typed, {
    enabled,
    staleTime: 30_000,
    placeholderData: (previous) => previous,
  });
  const matches = enabled ? (check.data?.matches ?? []).slice(0, 3) : [];
  const found = matches.length > 0;
  useEffect(() => onFound(found), [found, onFound]);
  return (
    <div className="ct-span-all" role="status">
      {found && (
        <div className="card ct-duplicate-warning">
          <p>
            <strong>This may already be in your contacts.</strong>
          </p>
          <ul>
            {matches.map((match) => (
              <li key={match.id}>
                Looks like{" "}
                <Link to="/w/$workspaceId/contacts/$contactId" params={{ workspaceId, contactId: match.id }}>
                  {match.name}
                  {match.company ? ` at ${match.company}` : ""}
                </Link>
                {match.email ? ` (${match.email})` : ""} — open it, or create anyway.
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
