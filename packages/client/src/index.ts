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
import { EventSource } from "eventsource";

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
  /** The fetch every call and every subscription's stream goes through (default the global one). */
  fetch?: typeof globalThis.fetch;
  headers?: Record<string, string>;
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
        // Streams send the token in their Authorization header too, never in the URL: the
        // `eventsource` package's EventSource streams over fetch, which can send headers (a
        // browser's own cannot). The headers are read again on every reconnect, so a
        // refreshed token is used.
        true: httpSubscriptionLink({
          url,
          transformer: wireTransformer,
          EventSource,
          eventSourceOptions: () => ({
            fetch: async (input, init) =>
              (options.fetch ?? globalThis.fetch)(input, {
                ...init,
                headers: { ...init.headers, ...(await headers()) },
              }),
          }),
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
