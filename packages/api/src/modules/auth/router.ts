import { z } from "zod";
import { unauthorized } from "../../errors";
import {
  changePasswordInput,
  loginInput,
  refreshTransportSchema,
  revokeSessionInput,
  updateProfileInput,
} from "@rapport/core/schemas";
import { registerInput } from "@rapport/core/schemas/register";
import { stringSchema } from "../../lib/schemas";
import { actorOf, authed, publicProcedure, router, type Context } from "../../trpc";
import { clearRefreshCookie, readRefreshCookie, setRefreshCookie } from "./cookie";
import type { AuthTokens } from "./service";

const refreshInput = z.strictObject({
  refreshToken: stringSchema.min(20).max(200).optional(),
  refreshTransport: refreshTransportSchema,
});

function deliver<T extends AuthTokens>(
  ctx: Context,
  result: T,
  transport: "body" | "cookie",
): Omit<T, "refreshToken"> & { refreshToken: string | null } {
  if (transport === "body") return result;
  setRefreshCookie(ctx, result.refreshToken, result.refreshTokenExpiresAt);
  return { ...result, refreshToken: null };
}

const meta = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.userAgent });

export const authRouter = router({
  register: publicProcedure
    .input(registerInput)
    .mutation(async ({ ctx, input: { refreshTransport: transport, ...input } }) => {
      return deliver(ctx, await ctx.runtime.services.auth.register(input, meta(ctx)), transport);
    }),
  login: publicProcedure
    .input(loginInput)
    .mutation(async ({ ctx, input: { refreshTransport: transport, ...input } }) => {
      return deliver(ctx, await ctx.runtime.services.auth.login(input, meta(ctx)), transport);
    }),
  refresh: publicProcedure.input(refreshInput).mutation(async ({ ctx, input }) => {
    const token = input.refreshToken ?? readRefreshCookie(ctx);
    if (!token) throw unauthorized("No session to refresh; sign in");
    try {
      return deliver(ctx, await ctx.runtime.services.auth.refresh(token, meta(ctx)), input.refreshTransport);
    } catch (error) {
      if (input.refreshTransport === "cookie") clearRefreshCookie(ctx);
      throw error;
    }
  }),
  logout: authed.mutation(async ({ ctx }) => {
    const { ip, userAgent } = actorOf(ctx);
    await ctx.runtime.services.auth.logout(ctx.user, { ip, userAgent });
    clearRefreshCookie(ctx);
    return { ok: true as const };
  }),
  me: authed.query(({ ctx }) => ctx.runtime.services.auth.me(ctx.user.userId)),
  updateProfile: authed
    .input(updateProfileInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.auth.updateProfile(ctx.user.userId, input, meta(ctx))),
  changePassword: authed
    .input(changePasswordInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.auth.changePassword(ctx.user, input, meta(ctx))),
  sessions: authed.query(({ ctx }) => ctx.runtime.services.auth.listSessions(ctx.user)),
  revokeSession: authed
    .input(revokeSessionInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.auth.revokeSession(ctx.user, input.sessionId, meta(ctx))),
  revokeOtherSessions: authed.mutation(({ ctx }) => ctx.runtime.services.auth.revokeOtherSessions(ctx.user, meta(ctx))),
  securityActivity: authed.query(({ ctx }) => ctx.runtime.services.auth.securityActivity(ctx.user.userId)),
});
