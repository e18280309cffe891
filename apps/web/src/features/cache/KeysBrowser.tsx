import { useId, useState } from "react";
import { useForm } from "react-hook-form";
import { ErrorMessage } from "../../components/ErrorMessage";
import { schemaResolver } from "../../components/form";
import { Empty } from "../../components/Status";
import { cacheKeysInput } from "../../schemas";
import { trpc, type RouterInputs } from "../../trpc";
import { formatCount } from "./format";
import { Skeleton } from "../../components/Skeleton";
import { TableScroll } from "../../components/TableScroll";

const PAGE_SIZE = 50;

const NAMESPACES: Record<string, string> = { rec: "Suggestions", top: "Most active contacts" };

/**
 * The workspace's cache keys (cache.keys: a SCAN, paged by cursor), filtered
 * by a glob, each deletable on its own (it is recomputed on next use).
 *
 * Paged with one query per cursor rather than useInfiniteQuery: tRPC's
 * infinite queries add `direction` to the input, which cache.keys' strict
 * input schema rejects ("Unrecognized key: direction").
 */
export function KeysBrowser({ workspaceId, onChanged }: { workspaceId: string; onChanged: () => void }) {
  const id = useId();
  const form = useForm<{ pattern: string }, unknown, RouterInputs["cache"]["keys"]>({
    defaultValues: { pattern: "*" },
    resolver: schemaResolver(cacheKeysInput, (values: { pattern: string }) => ({
      workspaceId,
      pattern: values.pattern.trim() || "*",
      limit: PAGE_SIZE,
    })),
  });
  const patternError = form.formState.errors.pattern?.message;
  const [pattern, setPattern] = useState("*");
  // The SCAN cursor of every page shown: the first page, then each "Load more".
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const pages = trpc.useQueries((t) =>
    cursors.map((cursor) => t.cache.keys({ workspaceId, pattern, limit: PAGE_SIZE, cursor }, { staleTime: 0 })),
  );
  const first = pages[0]!;
  const last = pages.at(-1)!;
  const nextCursor = last.data?.nextCursor ?? null;
  const keys = {
    isPending: first.isPending,
    error: pages.find((page) => page.error)?.error ?? null,
    refetch: () => Promise.all(pages.map((page) => page.refetch())),
    hasNextPage: nextCursor !== null && !cursors.includes(nextCursor),
    isFetchingNextPage: cursors.length > 1 && last.isPending,
    fetchNextPage: () => nextCursor !== null && setCursors([...cursors, nextCursor]),
  };
  const utils = trpc.useUtils();
  const [notice, setNotice] = useState<string | null>(null);
  const remove = trpc.cache.deleteKey.useMutation({
    onSuccess: (result, { key }) => {
      setNotice(result.deleted ? `Deleted ${key}.` : `${key} was already gone.`);
      void utils.cache.keys.invalidate({ workspaceId });
      onChanged();
    },
  });

  // A SCAN may return a key twice (the keyspace changed between pages): show it once.
  const seen = new Set<string>();
  const rows = pages.flatMap((page) => page.data?.keys ?? []).filter((row) => !seen.has(row.key) && seen.add(row.key));
  const degraded = pages.some((page) => page.data?.status === "degraded");

  const submit = form.handleSubmit((input) => {
    setNotice(null);
    setPattern(input.pattern ?? "*");
    setCursors([null]);
  });

  return (
    <section className="card stack cache-keys" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Keys</h2>
      <form
        className="toolbar"
        role="search"
        aria-label="Filter cache keys"
        onSubmit={(event) => void submit(event)}
        noValidate
      >
        <div className="field grow">
          <label htmlFor={`${id}-pattern`}>Key pattern</label>
          <input
            id={`${id}-pattern`}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={patternError ? true : undefined}
            aria-describedby={`${id}-pattern-hint${patternError ? ` ${id}-pattern-error` : ""}`}
            {...form.register("pattern")}
          />
          <p className="hint" id={`${id}-pattern-hint`}>
            <code>*</code> matches any run of characters, <code>?</code> one character, e.g. <code>rec:*</code>
          </p>
          {patternError && (
            <p id={`${id}-pattern-error`} className="field-error">
              {patternError}
            </p>
          )}
        </div>
        <div className="toolbar-buttons">
          <button type="submit">Search keys</button>
        </div>
      </form>
      <div role="status" className="small">
        {notice}
      </div>
      {remove.error && <ErrorMessage error={remove.error} title="Could not delete the key" />}
      {keys.isPending ? (
        <Skeleton shape="table" rows={5} label="Loading keys…" />
      ) : keys.error && rows.length === 0 ? (
        <ErrorMessage error={keys.error} title="Could not list the keys" onRetry={() => void keys.refetch()} />
      ) : degraded && rows.length === 0 ? (
        <p className="alert alert-info">Keys cannot be listed while Redis is unavailable.</p>
      ) : rows.length === 0 ? (
        <Empty>No keys match {pattern}.</Empty>
      ) : (
        <TableScroll>
          <table className="data-table cache-keys-table">
            <caption className="visually-hidden">Cache keys of this workspace</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Holds</th>
                <th scope="col">Generation</th>
                <th scope="col">Expires in</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, index) => (
                <tr key={row.key}>
                  <td>
                    <code className="cache-key" id={`${id}-key-${index}`}>
                      {row.key}
                    </code>
                  </td>
                  <td>{NAMESPACES[row.namespace] ?? row.namespace}</td>
                  <td>
                    {row.generation} {row.current ? "" : <span className="muted">(old)</span>}
                  </td>
                  <td className="nowrap">{row.ttlSeconds === null ? "—" : formatTtl(row.ttlSeconds)}</td>
                  <td>
                    <button
                      type="button"
                      className="button-secondary button-small"
                      aria-describedby={`${id}-key-${index}`}
                      disabled={remove.isPending && remove.variables?.key === row.key}
                      onClick={() => remove.mutate({ workspaceId, key: row.key })}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {rows.length > 0 && (
        <p className="small muted">
          {formatCount(rows.length)} {rows.length === 1 ? "key" : "keys"} shown
        </p>
      )}
      {keys.hasNextPage && (
        <button
          type="button"
          className="button-secondary load-more"
          disabled={keys.isFetchingNextPage}
          onClick={keys.fetchNextPage}
        >
          {keys.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      )}
    </section>
  );
}

function formatTtl(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}
