import type { AppRouter } from "@rapport/api";
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
  type TRPCLink,
} from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { wireTransformer } from "@rapport/core/wire";

export type { AppRouter };
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export { TRPCClientError };

export interface RapportClientOptions {
  /** Base URL of a Rapport server, e.g. `https://rapport.example.com`. */
  url: string;
  /** Access token, or a function returning the current one (called per request). */
  token?: string | null | (() => string | null | undefined | Promise<string | null | undefined>);
  /** Batch concurrent calls into one HTTP request (default true). */
  batch?: boolean;
  fetch?: typeof globalThis.fetch;
  headers?: Record<string, string>;
  /**
   * The EventSource that subscriptions (`activity.live`) stream over; default the
   * global one (browsers, Node 22+). In older Node pass one, e.g. the `eventsource` package's.
   */
  EventSource?: typeof globalThis.EventSource;
}

/** The typed tRPC client for every Rapport procedure. */
export function createRapportClient(options: RapportClientOptions) {
  const url = `${options.url.replace(/\/+$/, "")}/trpc`;
  const headers = async () => {
    const token = typeof options.token === "function" ? await options.token() : options.token;
    return { ...options.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
  };
  const common = { url, transformer: wireTransformer, headers, fetch: options.fetch };
  const requests: TRPCLink<AppRouter> =
    options.batch === false
      ? httpLink(common)
      : splitLink({
          // Uploads (bulk imports) go alone so they never hit URL or batch limits.
          condition: (op) => op.type === "mutation" && op.path.endsWith("bulkCreate"),
          true: httpLink(common),
          false: httpBatchLink({ ...common, maxURLLength: 4_000 }),
        });
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        // An EventSource cannot send headers: the token goes as a connection parameter,
        // read again on every reconnect so a refreshed token is used.
        true: httpSubscriptionLink({
          url,
          transformer: wireTransformer,
          EventSource: options.EventSource ?? globalThis.EventSource,
          connectionParams: async () => {
            const token = typeof options.token === "function" ? await options.token() : options.token;
            return token ? { token } : {};
          },
        }),
        false: requests,
      }),
    ],
  });
}

export type RapportClient = ReturnType<typeof createRapportClient>;

/** The typed error shape every Rapport procedure returns. */
export function errorDetails(error: unknown) {
  if (!(error instanceof TRPCClientError)) return null;
  const data = error.data as
    | {
        code?: string;
        httpStatus?: number;
        requestId?: string;
        zodIssues?: { path: string[]; message: string }[];
        details?: Record<string, unknown>;
      }
    | undefined;
  return { message: error.message, code: data?.code, ...data };
}

/**
 * Receivers of Rapport's webhooks: `await verifyWebhook({ secret, headers, body })`
 * returns the event or throws `WebhookVerificationError` (see its `code`).
 */
export {
  verifyWebhook,
  WebhookVerificationError,
  type VerifyWebhookInput,
  type WebhookEvent,
  type WebhookHeaders,
  type WebhookVerificationErrorCode,
} from "@rapport/core/webhook-signature";
