import { useDocumentTitle } from "../../components/hooks";
import { Link } from "@tanstack/react-router";

export function NotFoundPage() {
  useDocumentTitle("Page not found");
  return (
    <section className="card stack" aria-labelledby="not-found-title">
      <h1 id="not-found-title">Page not found</h1>
      <p>There is nothing at this address.</p>
      <p>
        <Link to="/">Go to your workspaces</Link>
      </p>
    </section>
  );
}

/** /w/:ws/… for a workspace that does not exist or that the user is not a member of. */
export function WorkspaceNotFound() {
  useDocumentTitle("Workspace not found");
  return (
    <section className="card stack" aria-labelledby="ws-not-found-title">
      <h1 id="ws-not-found-title">Workspace not found</h1>
      <p>This workspace does not exist, or you are not a member of it (any more).</p>
      <p>
        <Link to="/">Go to your workspaces</Link>
      </p>
    </section>
  );
}
