import type { AppRouter } from "@rapport/api";
import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { httpBatchLink, httpLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import { createTRPCReact } from "@trpc/react-query";
import { EventSource } from "eventsource";
import { wireTransformer } from "@rapport/core/wire";
import type { RouterOutputs } from "./api-types";
import { authedFetch, getAccessToken, getSession, refreshSession } from "./session";

export type { RouterInputs, RouterOutputs } from "./api-types";
export type WorkspaceRole = RouterOutputs["workspaces"]["list"][number]["role"];

export const trpc = createTRPCReact<AppRouter>();

/**
 * Procedures sent on their own request, never in a batch: a batch answers only
 * once its slowest call is done, so a cold recommendation (it may build the
 * workspace's graph) or a cache.stats (a SCAN over Redis) must not hold back
 * the contact, timeline or warm-up progress sharing the batch.
 */
// Searches travel alone: typing on cancels the one in flight, which a batch would not allow.
const UNBATCHED = (path: string) =>
  path === "recommendations.forContact" ||
  path === "cache.stats" ||
  path === "cache.keys" ||
  path === "search.query" ||
  path === "search.suggest";

export function createTrpcClient() {
  const options = {
    url: "/trpc",
    transformer: wireTransformer,
    fetch: authedFetch,
    async headers(): Promise<Record<string, string>> {
      const token = await getAccessToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  };
  return trpc.createClient({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        // Event streams (activity.live, jobs.progress) over SSE, with the token in the
        // Authorization header like every other call, never in the URL (access logs keep URLs).
        // A browser's EventSource cannot send headers; the `eventsource` package's streams
        // over fetch, which can. The token is read again on every (re)connect.
        true: httpSubscriptionLink({
          url: "/trpc",
          transformer: wireTransformer,
          EventSource,
          eventSourceOptions: () => ({
            fetch: async (input, init) =>
              fetch(input, { ...init, headers: { ...init.headers, ...(await options.headers()) } }),
          }),
        }),
        false: splitLink({
          condition: (op) => UNBATCHED(op.path),
          true: httpLink(options),
          false: httpBatchLink({ ...options, maxURLLength: 4_000 }),
        }),
      }),
    ],
  });
}

function errorData(error: unknown): { httpStatus?: number; code?: string } | undefined {
  return error instanceof TRPCClientError
    ? (error.data as { httpStatus?: number; code?: string } | undefined)
    : undefined;
}

/** tRPC's query key prefix for workspaces.list. */
const WORKSPACES_LIST_KEY = [["workspaces", "list"]];

export function createQueryClient() {
  const queryClient: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError: (error) => onApiError(error) }),
    mutationCache: new MutationCache({ onError: (error) => onApiError(error) }),
    defaultOptions: {
      queries: {
        // Offline, run anyway and fail with "cannot reach the server" rather than
        // sit paused with a spinner (TanStack's default); reconnecting refetches.
        networkMode: "always",
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        retry: (failureCount, error) => {
          const data = errorData(error);
          // An expired session (e.g. a batch answered 207 with one 401): refresh once, then retry.
          if (data?.code === "UNAUTHORIZED" && failureCount < 1 && getSession().status === "signedIn") {
            void refreshSession();
            return true;
          }
          // A 4xx will not fix itself; network blips and 5xx get two more tries.
          const status = data?.httpStatus;
          return (status === undefined || status >= 500) && failureCount < 2;
        },
      },
      mutations: { retry: false, networkMode: "always" },
    },
  });

  /**
   * Membership changed under us: a workspace that is suddenly NOT_FOUND (we were
   * removed) or FORBIDDEN (demoted) means our workspaces list and roles are stale.
   */
  function onApiError(error: unknown) {
    const code = errorData(error)?.code;
    if (
      code === "FORBIDDEN" ||
      (code === "NOT_FOUND" && error instanceof Error && error.message === "Workspace not found")
    ) {
      void queryClient.invalidateQueries({ queryKey: WORKSPACES_LIST_KEY });
    }
  }

  return queryClient;
}
