import type { Runtime } from "@rapport/api";
import { seedWorkspace } from "@rapport/db/seed";

export const DEMO_EMAIL = "demo@rapport.dev";
export const DEMO_PASSWORD = "rapport-demo-2026";

/** First start with --demo: a demo account and a workspace with realistic history. */
export async function ensureDemoData(runtime: Runtime, size = { contacts: 500, interactions: 8_000 }) {
  const { auth, workspaces } = runtime.services;
  if (await auth.findUserByEmail(DEMO_EMAIL)) return { created: false };
  const user = await auth.createUser({ email: DEMO_EMAIL, password: DEMO_PASSWORD, name: "Demo User" });
  const workspace = await workspaces.create("Acme Demo", {
    actorId: user.id,
    ip: null,
    userAgent: "rapport demo seed",
  });
  const result = await seedWorkspace(runtime.database.db, { workspaceId: workspace.id, createdBy: user.id, ...size });
  runtime.log.info({ workspaceId: workspace.id, ...result }, "seeded demo workspace");
  return { created: true };
}
