/** Rows as the real API returns them (after the wire transformer revives them: Dates are Dates). */
import type { RouterOutputs, WorkspaceRole } from "../../src/trpc";

let counter = 0;
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

export const WORKSPACE_ID = "11111111-1111-4111-8111-111111111111";
export const USER = {
  id: "22222222-2222-4222-8222-222222222222",
  email: "ana@example.com",
  name: "Ana Ruiz",
  createdAt: new Date("2026-01-01T00:00:00Z"),
};

function nextId(): string {
  return uuid(++counter);
}

export function contact(overrides: Partial<Contact> = {}): Contact {
  const id = overrides.id ?? nextId();
  const at = new Date(Date.UTC(2026, 0, 1) + counter * 60_000);
  return {
    id,
    workspaceId: WORKSPACE_ID,
    email: null,
    name: `Contact ${counter}`,
    company: null,
    title: null,
    phone: null,
    tags: [],
    source: "manual",
    createdBy: USER.id,
    createdAt: at,
    updatedAt: at,
    deletedAt: null,
    ...overrides,
  };
}

export function contacts(count: number, prefix = "Person"): Contact[] {
  return Array.from({ length: count }, (_, i) =>
    contact({
      name: `${prefix} ${String(i + 1).padStart(3, "0")}`,
      email: `${prefix.toLowerCase()}${i + 1}@example.com`,
    }),
  );
}

export function interaction(overrides: Partial<Interaction> = {}): Interaction {
  const id = overrides.id ?? nextId();
  return {
    id,
    workspaceId: WORKSPACE_ID,
    contactId: overrides.contactId ?? uuid(1),
    type: "call",
    direction: "outbound",
    occurredAt: new Date("2026-02-01T10:00:00Z"),
    subject: null,
    summary: null,
    source: "manual",
    externalId: null,
    createdBy: USER.id,
    createdAt: new Date("2026-02-01T10:00:00Z"),
    participants: [],
    ...overrides,
  };
}

export function workspace(role: WorkspaceRole = "owner") {
  return {
    id: WORKSPACE_ID,
    name: "Acme Sales",
    phoneCountry: null,
    role,
    createdAt: new Date("2026-01-01T00:00:00Z"),
  };
}

/** A structurally valid HS256-looking JWT (the SPA only reads iat/exp). */
function fakeJwt(lifetimeSeconds = 900): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) =>
    btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ sub: USER.id, iat: now, exp: now + lifetimeSeconds })}.c2lnbmF0dXJl`;
}

export function authResult() {
  const now = Date.now();
  return {
    accessToken: fakeJwt(),
    accessTokenExpiresAt: new Date(now + 900_000),
    refreshToken: null,
    refreshTokenExpiresAt: new Date(now + 30 * 86_400_000),
    user: USER,
  };
}

export type Contact = RouterOutputs["contacts"]["get"];

export type Interaction = RouterOutputs["interactions"]["listForContact"]["items"][number];
