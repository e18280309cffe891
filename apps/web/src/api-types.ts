import type { AppRouter } from "@rapport/api";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

/** The server's procedure inputs and outputs, inferred from its router (never restated here). */
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
