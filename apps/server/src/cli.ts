import { parseArgs } from "node:util";
import { isValidEmail, normalizeEmail, WORKSPACE_ROLES, type WorkspaceRole } from "@rapport/core";
import { migrate, memberships, workspaces } from "@rapport/db";
import { seedWorkspace } from "@rapport/db/seed";
import type { Runtime } from "@rapport/api";
import { and, eq } from "drizzle-orm";
import { commandLineArgs, loadConfigOrExit, startRuntime } from "./bootstrap";
import { DEMO_EMAIL, DEMO_PASSWORD } from "./demo";

const USAGE = `Usage: pnpm rapport <command> [options]

  migrate                                   apply pending database migrations
  seed [--contacts N] [--interactions N] [--workspace NAME] [--owner EMAIL] [--seed N]
                                            bulk-load realistic demo data
  user:create --email E --name N [--password P]   (or RAPPORT_PASSWORD)
  workspace:create --name N --owner EMAIL
  workspace:invite --workspace ID|NAME --email E [--role member|admin|owner]
                                            print a single-use invitation link (the invitee
                                            signs in with that address and accepts it)
`;

const [command, ...rest] = commandLineArgs();
const { values } = parseArgs({
  args: commandLineArgs(rest),
  options: {
    contacts: { type: "string" },
    interactions: { type: "string" },
    workspace: { type: "string" },
    owner: { type: "string" },
    seed: { type: "string" },
    email: { type: "string" },
    name: { type: "string" },
    password: { type: "string" },
    role: { type: "string" },
  },
});

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer`);
  return n;
}

function progressBar(label: string) {
  const interactive = process.stderr.isTTY;
  let lastPercent = -1;
  return (done: number, total: number) => {
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (percent === lastPercent) return;
    lastPercent = percent;
    const width = 30;
    const filled = Math.round((percent / 100) * width);
    const line = `${label.padEnd(13)} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(percent).padStart(3)}%  ${done}/${total}`;
    if (interactive) process.stderr.write(`\r${line}${done >= total ? "\n" : ""}`);
    else if (percent % 25 === 0) process.stderr.write(`${line}\n`);
  };
}

async function findOrCreateOwner(runtime: Runtime, email: string | undefined) {
  const address = (email ?? DEMO_EMAIL).toLowerCase();
  const existing = await runtime.services.auth.findUserByEmail(address);
  if (existing) return existing;
  if (email) fail(`No user with email ${email}; create it with user:create first`);
  return runtime.services.auth.createUser({ email: DEMO_EMAIL, password: DEMO_PASSWORD, name: "Demo User" });
}

async function resolveWorkspace(runtime: Runtime, ref: string) {
  const db = runtime.database.db;
  const byId = /^[0-9a-f-]{36}$/i.test(ref) ? await db.select().from(workspaces).where(eq(workspaces.id, ref)) : [];
  const matches = byId.length > 0 ? byId : await db.select().from(workspaces).where(eq(workspaces.name, ref));
  if (matches.length > 1) fail(`Several workspaces are named "${ref}"; pass its id instead`);
  return matches[0] ?? null;
}

async function run(runtime: Runtime) {
  const { auth, workspaces: workspaceService } = runtime.services;
  switch (command) {
    case "migrate": {
      const result = await migrate(runtime.database);
      process.stdout.write(
        `Migrations: ${result.applied.length} applied, ${result.alreadyApplied} already applied (${runtime.database.location})\n`,
      );
      return;
    }
    case "seed": {
      const contactCount = positiveInt(values.contacts, 1_000, "contacts");
      const interactionCount = positiveInt(values.interactions, 20_000, "interactions");
      const name = values.workspace ?? "Seeded Workspace";
      let workspace = await resolveWorkspace(runtime, name);
      let ownerId: string;
      if (workspace) {
        const [owner] = await runtime.database.db
          .select({ userId: memberships.userId })
          .from(memberships)
          .where(and(eq(memberships.workspaceId, workspace.id), eq(memberships.role, "owner")));
        ownerId = owner!.userId;
      } else {
        const owner = await findOrCreateOwner(runtime, values.owner);
        ownerId = owner.id;
        workspace = await workspaceService.create(name, { actorId: owner.id, ip: null, userAgent: "rapport cli" });
      }
      const contactsBar = progressBar("contacts");
      const interactionsBar = progressBar("interactions");
      const result = await seedWorkspace(runtime.database.db, {
        workspaceId: workspace.id,
        createdBy: ownerId,
        contacts: contactCount,
        interactions: interactionCount,
        seed: positiveInt(values.seed, 42, "seed"),
        onProgress: (phase, done, total) => (phase === "contacts" ? contactsBar : interactionsBar)(done, total),
      });
      process.stdout.write(
        `Seeded workspace "${workspace.name}" (${workspace.id}): ${result.contacts} contacts, ${result.interactions} interactions, ${result.participants} participants in ${(result.ms / 1000).toFixed(1)} s\n`,
      );
      return;
    }
    case "user:create": {
      const password = values.password ?? process.env.RAPPORT_PASSWORD;
      if (!values.email || !values.name || !password)
        fail("user:create needs --email, --name and --password (or RAPPORT_PASSWORD)");
      if (password.length < 10) fail("the password must be at least 10 characters");
      const user = await auth.createUser({ email: values.email.trim().toLowerCase(), name: values.name, password });
      process.stdout.write(`Created user ${user.email} (${user.id})\n`);
      return;
    }
    case "workspace:create": {
      if (!values.name || !values.owner) fail("workspace:create needs --name and --owner");
      const owner = await findOrCreateOwner(runtime, values.owner);
      const workspace = await workspaceService.create(values.name, {
        actorId: owner.id,
        ip: null,
        userAgent: "rapport cli",
      });
      process.stdout.write(`Created workspace "${workspace.name}" (${workspace.id}) owned by ${owner.email}\n`);
      return;
    }
    case "workspace:invite": {
      if (!values.workspace || !values.email) fail("workspace:invite needs --workspace and --email");
      const role = (values.role ?? "member") as WorkspaceRole;
      if (!WORKSPACE_ROLES.includes(role)) fail(`--role must be one of ${WORKSPACE_ROLES.join(", ")}`);
      if (!isValidEmail(values.email)) fail("--email must be a valid email address");
      const workspace = await resolveWorkspace(runtime, values.workspace);
      if (!workspace) fail(`No workspace "${values.workspace}"`);
      // Sent in the name of an owner: only owners may invite owners. Without PUBLIC_URL the link points at this machine's port.
      const [owner] = await runtime.database.db
        .select({ userId: memberships.userId })
        .from(memberships)
        .where(and(eq(memberships.workspaceId, workspace.id), eq(memberships.role, "owner")));
      const { invitation, link } = await runtime.services.invitations.invite(
        workspace.id,
        normalizeEmail(values.email),
        role,
        "owner",
        {
          actorId: owner!.userId,
          ip: null,
          userAgent: "rapport cli",
        },
      );
      process.stdout.write(
        `Invited ${invitation.email} to "${workspace.name}" as ${invitation.role}; valid until ${invitation.expiresAt.toISOString()}.\n` +
          `Give them this link (it works once, for that address):\n${new URL(link, runtime.config.PUBLIC_URL ?? `http://localhost:${runtime.config.PORT}`)}\n`,
      );
      return;
    }
    default:
      fail(command ? `Unknown command "${command}"` : "No command given");
  }
}

if (!command || command === "help" || command === "--help") {
  process.stdout.write(USAGE);
  process.exit(0);
}
// `migrate` reports what it applies itself; every other command migrates first.
const runtime = await startRuntime(loadConfigOrExit({ LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" }), {
  migrate: command !== "migrate",
});
try {
  await run(runtime);
} catch (error) {
  process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await runtime.close();
}
