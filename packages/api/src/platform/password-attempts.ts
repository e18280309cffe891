import { createHash } from "node:crypto";
import { rateLimitBucket, sameRateLimitBucket } from "@rapport/core";
import { sessions, users } from "@rapport/db";
import { desc, eq, sql } from "drizzle-orm";
import { tooManyRequests } from "../errors";
import type { ServiceDeps } from "./deps";
import { recordAudit } from "./audit";

/**
 * Limits on password guesses, for sign-in and for every password re-entry
 * (password change, account deletion): one budget per account, whichever door is used.
 * Sign-ups have their own per-address limit (`limitRegistration`, below).
 *
 * - per client address (IPv6: per /64): LOGIN_MAX_PER_IP attempts per window,
 *   whatever the account;
 * - per (account, client address): LOGIN_MAX_PER_CLIENT failures, then a delay
 *   of LOGIN_BACKOFF_SECONDS that doubles with each further failure up to
 *   LOGIN_BACKOFF_MAX_SECONDS; a success clears it. A stranger guessing from
 *   their address slows only themselves: the owner elsewhere is not affected.
 * - per account: LOGIN_MAX_PER_ACCOUNT attempts per window from all addresses
 *   together, against guessing from many addresses. Past it, only addresses the
 *   account has signed in from before may still try (each with its own limit
 *   above), so even a distributed attack does not lock the owner out at home.
 *
 * Every attempt is counted before the password is checked, in one atomic step
 * (a Lua script in Redis), so concurrent guesses cannot all pass one check.
 */
export interface PasswordAttempt {
  /** Normalized email of the account (also for unknown accounts: refusals must not reveal which exist). */
  email: string;
  ip: string | null;
  userAgent: string | null;
  purpose: "login" | "password_reentry";
}

const hashed = (value: string) => createHash("sha256").update(value).digest("hex").slice(0, 32);

/**
 * Runs `verify` (the password check) if the limits allow an attempt now, and
 * clears this client's failures on success. Refused attempts are audited and
 * throw TOO_MANY_REQUESTS with the seconds to wait.
 */
export async function limitPasswordAttempt(
  deps: Pick<ServiceDeps, "config" | "db" | "clock" | "rateLimiter">,
  attempt: PasswordAttempt,
  verify: () => Promise<boolean>,
): Promise<boolean> {
  const { config, rateLimiter } = deps;
  const bucket = rateLimitBucket(attempt.ip);
  const account = hashed(attempt.email);
  // Redis holds neither the address nor the email in readable form.
  const pairKey = `login:client:${account}:${hashed(bucket)}`;
  const now = deps.clock.now().getTime();

  const byIp = await rateLimiter.hit(
    `login:ip:${hashed(bucket)}`,
    config.LOGIN_MAX_PER_IP,
    config.LOGIN_WINDOW_SECONDS,
  );
  if (!byIp.allowed) return refuse(deps, attempt, byIp.retryAfterSeconds, "client");

  const byPair = await rateLimiter.reserveAttempt(
    pairKey,
    {
      free: config.LOGIN_MAX_PER_CLIENT,
      windowMs: config.LOGIN_WINDOW_SECONDS * 1000,
      backoffMs: config.LOGIN_BACKOFF_SECONDS * 1000,
      backoffMaxMs: config.LOGIN_BACKOFF_MAX_SECONDS * 1000,
    },
    now,
  );
  if (!byPair.allowed) return refuse(deps, attempt, byPair.retryAfterSeconds, "account_and_client");

  const byAccount = await rateLimiter.hit(
    `login:account:${account}`,
    config.LOGIN_MAX_PER_ACCOUNT,
    config.LOGIN_WINDOW_SECONDS,
  );
  if (!byAccount.allowed && !(await signedInFromBefore(deps, attempt))) {
    return refuse(deps, attempt, byAccount.retryAfterSeconds, "account");
  }

  const valid = await verify();
  if (valid) await rateLimiter.reset(pairKey);
  return valid;
}

/** Has the account had a session from this client's address (its /64 for IPv6)? */
async function signedInFromBefore(deps: Pick<ServiceDeps, "db">, attempt: PasswordAttempt): Promise<boolean> {
  if (!attempt.ip) return false;
  const rows = await deps.db
    .select({ ip: sessions.ip })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(sql`lower(${users.email}) = ${attempt.email}`)
    .orderBy(desc(sessions.createdAt))
    .limit(50);
  return rows.some((row) => sameRateLimitBucket(row.ip, attempt.ip));
}

/**
 * Limits sign-ups per client address (IPv6: per /64): REGISTER_MAX_PER_IP per
 * REGISTER_WINDOW_SECONDS, counted before anything is checked, so a refused sign-up (an
 * address already taken) counts too and the limit also slows probing for accounts.
 * Refusals are audited and throw TOO_MANY_REQUESTS with the seconds to wait.
 */
export async function limitRegistration(
  deps: Pick<ServiceDeps, "config" | "db" | "rateLimiter">,
  client: { ip: string | null; userAgent: string | null },
): Promise<void> {
  const { config, rateLimiter } = deps;
  const hit = await rateLimiter.hit(
    `register:ip:${hashed(rateLimitBucket(client.ip))}`,
    config.REGISTER_MAX_PER_IP,
    config.REGISTER_WINDOW_SECONDS,
  );
  if (hit.allowed) return;
  await recordAudit(deps.db, {
    action: "auth.register_rate_limited",
    metadata: { retryAfterSeconds: hit.retryAfterSeconds },
    ip: client.ip,
    userAgent: client.userAgent,
  });
  throw tooManyRequests(hit.retryAfterSeconds);
}

async function refuse(
  deps: Pick<ServiceDeps, "db">,
  attempt: PasswordAttempt,
  retryAfterSeconds: number,
  limit: "client" | "account_and_client" | "account",
): Promise<never> {
  // The attempted address is not recorded: it may not even be a user's.
  await recordAudit(deps.db, {
    action: attempt.purpose === "login" ? "auth.login_rate_limited" : "auth.password_rate_limited",
    metadata: { retryAfterSeconds, limit },
    ip: attempt.ip,
    userAgent: attempt.userAgent,
  });
  throw tooManyRequests(retryAfterSeconds);
}
