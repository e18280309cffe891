import { z } from "zod";
import { emailSchema, requiredText } from "../../lib/schemas";
import { actorOf, authed, publicProcedure, router } from "../../trpc";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./passwords";

const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

const registerInput = z.strictObject({ email: emailSchema, password: passwordSchema, name: requiredText(200) });
// Login accepts any length up to the maximum so old, shorter passwords still work.
const loginInput = z.strictObject({ email: emailSchema, password: z.string().min(1).max(PASSWORD_MAX_LENGTH) });
const refreshInput = z.strictObject({ refreshToken: z.string().min(20).max(200) });

export const authRouter = router({
  register: publicProcedure
    .input(registerInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.auth.register(input, { ip: ctx.ip, userAgent: ctx.userAgent })),
  login: publicProcedure
    .input(loginInput)
    .mutation(({ ctx, input }) => ctx.runtime.services.auth.login(input, { ip: ctx.ip, userAgent: ctx.userAgent })),
  refresh: publicProcedure
    .input(refreshInput)
    .mutation(({ ctx, input }) =>
      ctx.runtime.services.auth.refresh(input.refreshToken, { ip: ctx.ip, userAgent: ctx.userAgent }),
    ),
  logout: authed.mutation(async ({ ctx }) => {
    const { ip, userAgent } = actorOf(ctx);
    await ctx.runtime.services.auth.logout(ctx.user, { ip, userAgent });
    return { ok: true as const };
  }),
  me: authed.query(({ ctx }) => ctx.runtime.services.auth.me(ctx.user.userId)),
});
