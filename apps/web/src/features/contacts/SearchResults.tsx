import { Link } from "@tanstack/react-router";
import { Highlighted } from "../../components/Highlighted";
import type { RouterOutputs } from "../../trpc";

type ContactHit = RouterOutputs["search"]["query"]["contacts"]["items"][number];
type Field = ContactHit["highlights"][number]["field"];

const FIELD_LABELS: Record<Field, string> = {
  name: "Name",
  email: "Email",
  company: "Company",
  title: "Title",
  phone: "Phone",
  tags: "Tags",
};

/** A field as shown in a result: highlighted where the search matched it. */
function Shown({ hit, field, value }: { hit: ContactHit; field: Field; value: string | null }) {
  const highlight = hit.highlights.find((h) => h.field === field);
  if (highlight) return <Highlighted text={highlight.text} ranges={highlight.ranges} />;
  return value || null;
}

/** The contacts search's best matches, best first, each linking to its contact. */
export function SearchResults({ workspaceId, hits }: { workspaceId: string; hits: ContactHit[] }) {
  return (
    <ol className="cl-results" aria-label="Best matches">
      {hits.map((hit) => {
        const other = hit.highlights.filter((h) => !["name", "email", "company", "title"].includes(h.field));
        return (
          <li key={hit.id} className="cl-result card">
            <Link
              to="/w/$workspaceId/contacts/$contactId"
              params={{ workspaceId, contactId: hit.id }}
              className="cl-result-name"
            >
              <Shown hit={hit} field="name" value={hit.name} />
            </Link>
            {hit.restricted ? <span className="badge">Processing restricted</span> : null}
            <span className="cl-result-detail muted">
              <Shown hit={hit} field="email" value={hit.email} />
              {hit.email && (hit.company || hit.title) ? " · " : null}
              <Shown hit={hit} field="title" value={hit.title} />
              {hit.title && hit.company ? ", " : null}
              <Shown hit={hit} field="company" value={hit.company} />
            </span>
            {other.map((h) => (
              <span key={h.field} className="cl-result-detail muted small">
                {FIELD_LABELS[h.field]}: <Highlighted text={h.text} ranges={h.ranges} />
              </span>
            ))}
          </li>
        );
      })}
    </ol>
  );
}
