import { z } from "zod";
import { authed, router } from "../../trpc";

export const systemRouter = router({
  /**
   * Signed-in no-op: what any authenticated procedure costs before it does
   * anything (HTTP, tRPC, token check). A cheap connectivity check for clients,
   * and the ceiling `bench:api` compares `contacts.list` with.
   */
  ping: authed.input(z.strictObject({}).optional()).query(() => ({ ok: true as const })),
});
