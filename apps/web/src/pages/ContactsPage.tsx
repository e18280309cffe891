import { keepPreviousData, useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState, type FormEvent } from "react";
import { ErrorMessage } from "../components/ErrorMessage";
import { describeError } from "../errors";
import { navigate } from "../router";
import { trpc, type RouterInputs } from "../trpc";

type Sort = NonNullable<RouterInputs["contacts"]["list"]["sort"]>;

const SORTS: { value: Sort; label: string }[] = [
  { value: "updated", label: "Recently updated" },
  { value: "name", label: "Name (A–Z)" },
  { value: "created", label: "Recently added" },
];
const PAGE_SIZE = 50;

/** Query key prefix for one workspace's contact lists (to invalidate them all after a change). */
function contactsListKey(workspaceId: string, input?: object) {
  return input ? ["contacts.list", workspaceId, input] : ["contacts.list", workspaceId];
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

function useDebounced<T>(value: T, delayMs: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}

export default function ContactsPage({ workspaceId }: { workspaceId: string }) {
  const id = useId();
  const [searchText, setSearchText] = useState("");
  const [sort, setSort] = useState<Sort>("updated");
  const search = useDebounced(searchText.trim(), 250);

  const workspaces = trpc.workspaces.list.useQuery();
  const workspace = workspaces.data?.find((candidate) => candidate.id === workspaceId);

  // Plain TanStack infinite query over the vanilla client: tRPC's own useInfiniteQuery
  // adds a `direction` key that the strict contacts.list input schema rejects.
  const client = trpc.useUtils().client;
  const input = { workspaceId, sort, limit: PAGE_SIZE, ...(search ? { search } : {}) };
  const contacts = useInfiniteQuery({
    queryKey: contactsListKey(workspaceId, input),
    queryFn: ({ pageParam, signal }) => client.contacts.list.query({ ...input, cursor: pageParam }, { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  const rows = contacts.data?.pages.flatMap((page) => page.items) ?? [];
  const notFound = describeError(contacts.error).code === "NOT_FOUND";

  return (
    <div className="stack-lg">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <a
          href="/"
          onClick={(event) => {
            event.preventDefault();
            navigate("/");
          }}
        >
          ← All workspaces
        </a>
      </nav>
      <div className="page-head">
        <h1>{workspace?.name ?? "Contacts"}</h1>
        {workspace && <span className="badge">{workspace.role}</span>}
      </div>

      {notFound ? (
        <ErrorMessage error={contacts.error}>
          <p>This workspace does not exist or you are not a member.</p>
        </ErrorMessage>
      ) : (
        <>
          <AddContact workspaceId={workspaceId} onShow={setSearchText} />

          <section aria-labelledby={`${id}-contacts`} className="stack">
            <h2 id={`${id}-contacts`} className="visually-hidden">
              Contacts
            </h2>
            <form className="toolbar" role="search" onSubmit={(event) => event.preventDefault()}>
              <div className="field grow">
                <label htmlFor={`${id}-search`}>Search</label>
                <input
                  id={`${id}-search`}
                  type="search"
                  placeholder="Name, email or company starts with…"
                  maxLength={200}
                  value={searchText}
                  onChange={(event) => setSearchText(event.target.value)}
                />
              </div>
              <div className="field">
                <label htmlFor={`${id}-sort`}>Sort by</label>
                <select id={`${id}-sort`} value={sort} onChange={(event) => setSort(event.target.value as Sort)}>
                  {SORTS.map((option) => (
                    <option key={option.value} value={option.value}>
                      {option.label}
                    </option>
                  ))}
                </select>
              </div>
            </form>

            {contacts.isPending ? (
              <p className="muted" role="status">
                Loading contacts…
              </p>
            ) : contacts.error && rows.length === 0 ? (
              <ErrorMessage error={contacts.error}>
                <button type="button" className="button-secondary" onClick={() => void contacts.refetch()}>
                  Try again
                </button>
              </ErrorMessage>
            ) : rows.length === 0 ? (
              <p className="muted">{search ? `No contacts match “${search}”.` : "No contacts yet."}</p>
            ) : (
              <>
                <p className="muted small" role="status" aria-live="polite">
                  Showing {rows.length}
                  {contacts.hasNextPage ? "+" : ""} contact{rows.length === 1 ? "" : "s"}
                  {search ? ` matching “${search}”` : ""}
                  {contacts.isFetching && !contacts.isFetchingNextPage ? " · updating…" : ""}
                </p>
                <div className="table-wrap">
                  <table className="contacts">
                    <thead>
                      <tr>
                        <th scope="col">Name</th>
                        <th scope="col">Email</th>
                        <th scope="col">Company</th>
                        <th scope="col" className="hide-sm">
                          Title
                        </th>
                        <th scope="col" className="hide-sm">
                          Tags
                        </th>
                        <th scope="col" className="hide-sm">
                          Updated
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {rows.map((contact) => (
                        <tr key={contact.id}>
                          <th scope="row">{contact.name}</th>
                          <td className="truncate" title={contact.email ?? undefined}>
                            {contact.email ?? <span className="muted">—</span>}
                          </td>
                          <td>{contact.company ?? <span className="muted">—</span>}</td>
                          <td className="hide-sm">{contact.title ?? ""}</td>
                          <td className="hide-sm">
                            {contact.tags.map((tag) => (
                              <span key={tag} className="tag">
                                {tag}
                              </span>
                            ))}
                          </td>
                          <td className="hide-sm nowrap">
                            <time dateTime={contact.updatedAt.toISOString()}>{dateFormat.format(contact.updatedAt)}</time>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                {contacts.error && <ErrorMessage error={contacts.error} />}
                {contacts.hasNextPage && (
                  <button
                    type="button"
                    className="button-secondary load-more"
                    onClick={() => void contacts.fetchNextPage()}
                    disabled={contacts.isFetchingNextPage}
                  >
                    {contacts.isFetchingNextPage ? "Loading…" : "Load more"}
                  </button>
                )}
              </>
            )}
          </section>
        </>
      )}
    </div>
  );
}

function AddContact({ workspaceId, onShow }: { workspaceId: string; onShow: (search: string) => void }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [company, setCompany] = useState("");
  const [added, setAdded] = useState<string | null>(null);
  const create = trpc.contacts.create.useMutation({
    onSuccess: async (contact) => {
      setAdded(contact.name);
      setName("");
      setEmail("");
      setCompany("");
      await queryClient.invalidateQueries({ queryKey: contactsListKey(workspaceId) });
    },
  });
  const existingId = describeError(create.error).details.existingContactId;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setAdded(null);
    create.mutate({ workspaceId, name, email: email.trim() || null, company: company.trim() || null });
  };

  return (
    <details className="card add-contact">
      <summary>Add a contact</summary>
      <form className="add-contact-form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} required maxLength={200} value={name} onChange={(event) => setName(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-email`}>Email (optional)</label>
          <input id={`${id}-email`} type="email" value={email} onChange={(event) => setEmail(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-company`}>Company (optional)</label>
          <input id={`${id}-company`} maxLength={200} value={company} onChange={(event) => setCompany(event.target.value)} />
        </div>
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? "Adding…" : "Add contact"}
        </button>
      </form>
      <ErrorMessage error={create.error}>
        {typeof existingId === "string" && (
          <button type="button" className="button-secondary" onClick={() => onShow(email.trim())}>
            Show the existing contact
          </button>
        )}
      </ErrorMessage>
      {added && (
        <p className="alert alert-success" role="status">
          Added {added}.
        </p>
      )}
    </details>
  );
}
