import { hasRole, wireTransformer, type WorkspaceRole } from "@rapport/core";
import { initTRPC, TRPCError } from "@trpc/server";
import { z, ZodError } from "zod";
import { DomainError, forbidden, notFound, toTRPCError, unauthorized } from "./errors";
import { bearerToken } from "./lib/bearer";
import { idSchema } from "./lib/schemas";
import { lazyChild, type Logger } from "./logger";
import type { VerifiedAccessToken } from "./modules/auth/tokens";
import type { Runtime } from "./platform/runtime-types";

export interface RequestInfo {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  authorization: string | null;
  /** Raw Cookie header (the refresh-token cookie of browser sessions). */
  cookie: string | null;
  /** Adds a Set-Cookie header to the response. */
  setCookie(header: string): void;
  /** Drops the connection without a response (an event stream whose client stopped reading). */
  dropConnection?(): void;
}

export interface Context extends RequestInfo {
  runtime: Runtime;
  log: Logger;
}

export function createContextFactory(runtime: Runtime) {
  return (info: RequestInfo): Context => ({
    ...info,
    runtime,
    log: lazyChild(runtime.log, { requestId: info.requestId }),
  });
}

/** Which procedures guard what; the authorization test reads this. */
interface ProcedureMeta {
  scope: "public" | "user" | "workspace";
  minRole?: WorkspaceRole;
  /** Profiles or derives from the caller's personal data; refused while they restrict processing (GDPR Art. 18). */
  processesCallerData?: boolean;
}

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    transformer: wireTransformer,
    // Event streams (subscriptions over SSE): a comment-sized ping keeps proxies from
    // closing an idle stream, and a client that hears nothing for 30 s (a dead connection
    // the OS has not noticed) reconnects and resumes from its last event id.
    sse: {
      ping: { enabled: true, intervalMs: 12_000 },
      client: { reconnectAfterInactivityMs: 30_000 },
    },
    errorFormatter({ shape, error, ctx }) {
      const cause = error.cause;
      const zodIssues =
        cause instanceof ZodError
          ? cause.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message, code: issue.code }))
          : undefined;
      return {
        ...shape,
        message: zodIssues ? summarizeIssues(zodIssues) : shape.message,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          requestId: ctx?.requestId,
          zodIssues,
          details: cause instanceof DomainError ? cause.details : undefined,
        },
      };
    },
  });

function summarizeIssues(issues: { path: string[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

export const router = t.router;

/**
 * What the caller is told when a procedure fails: domain and driver errors become typed tRPC
 * errors (a database that is away: SERVICE_UNAVAILABLE), anything else "Internal error",
 * logged here once with its cause. tRPC wraps what a procedure throws; an event stream's
 * failure after it started comes unwrapped.
 */
export function procedureError(failure: unknown, log: Logger, where: { path: string; type: string }): TRPCError {
  const wrapped = failure instanceof TRPCError ? failure : null;
  const original = wrapped?.cause ?? failure;
  const mapped =
    wrapped && !(wrapped.code === "INTERNAL_SERVER_ERROR" && original !== wrapped) ? wrapped : toTRPCError(original);
  if (mapped.code === "INTERNAL_SERVER_ERROR") log.error({ err: original, ...where }, "procedure failed");
  return mapped;
}

/** Every procedure: its failure mapped and logged by `procedureError`. */
const errorMapping = t.middleware(async ({ ctx, next, path, type }) => {
  const result = await next();
  if (!result.ok) (result as { error: TRPCError }).error = procedureError(result.error, ctx.log, { path, type });
  return result;
});

export const publicProcedure = t.procedure.use(errorMapping).meta({ scope: "public" });

/** The one way a request is authenticated: the access token of `Authorization: Bearer …`. */
export async function authenticate(
  runtime: Runtime,
  authorization: string | readonly string[] | null | undefined,
): Promise<VerifiedAccessToken> {
  const token = bearerToken(authorization);
  if (!token) throw unauthorized("Sign in first (missing bearer token)");
  return runtime.services.auth.verifyAccessToken(token);
}

export interface WorkspaceAccess {
  minRole: WorkspaceRole;
  /** Profiles or derives from the caller's personal data; refused while they restrict processing (GDPR Art. 18). */
  processesCallerData?: boolean;
}

/**
 * The one way access to a workspace is decided, for procedures and plain HTTP routes
 * alike. A non-member learns nothing, not even that the workspace exists (NOT_FOUND);
 * a member below `minRole` gets FORBIDDEN; so does a caller who restricted processing,
 * when the operation processes their data (signing in, viewing and exporting keep working).
 */
export async function authorizeWorkspace(
  runtime: Runtime,
  userId: string,
  workspaceId: string,
  access: WorkspaceAccess,
): Promise<WorkspaceRole> {
  const role = await runtime.services.workspaces.roleOf(workspaceId, userId);
  if (!role) throw notFound("Workspace");
  if (!hasRole(role, access.minRole))
    throw forbidden(`This needs the ${access.minRole} role or higher in this workspace`);
  if (access.processesCallerData) await runtime.services.gdprErasure.assertProcessingAllowed(userId);
  return role;
}

export const authed = publicProcedure.meta({ scope: "user" }).use(async ({ ctx, next }) => {
  const session = await authenticate(ctx.runtime, ctx.authorization);
  return next({ ctx: { ...ctx, user: session, log: ctx.log.child({ userId: session.userId }) } });
});

const workspaceIdInput = z.object({ workspaceId: idSchema });

/** A workspace-scoped procedure guarded by authorizeWorkspace with `access`. */
export function workspaceProcedure(access: WorkspaceAccess) {
  return authed.meta({ scope: "workspace", ...access }).use(async ({ ctx, next, getRawInput }) => {
    const parsed = workspaceIdInput.safeParse(await getRawInput());
    if (!parsed.success) {
      throw new TRPCError({ code: "BAD_REQUEST", message: "workspaceId: must be a UUID", cause: parsed.error });
    }
    const { workspaceId } = parsed.data;
    const role = await authorizeWorkspace(ctx.runtime, ctx.user.userId, workspaceId, access);
    return next({ ctx: { ...ctx, workspace: { id: workspaceId, role } } });
  });
}

/** A workspace-scoped procedure for members with at least `minRole` (see authorizeWorkspace). */
export function workspaceMember(minRole: WorkspaceRole) {
  return workspaceProcedure({ minRole });
}

/**
 * A workspace procedure that processes the caller's personal data (recommendations,
 * analytics, syncs): FORBIDDEN while the caller has restricted processing (GDPR Art. 18).
 */
export function workspaceProcessing(minRole: WorkspaceRole) {
  return workspaceProcedure({ minRole, processesCallerData: true });
}

export type AuthedContext = Context & { user: { userId: string; sessionId: string } };

/** The actor fields every audited operation records. */
export function actorOf(ctx: AuthedContext) {
  return { actorId: ctx.user.userId, ip: ctx.ip, userAgent: ctx.userAgent };
}
