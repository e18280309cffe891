import { describe, expect, it } from "vitest";
import { checkInvite, checkResponse, invitationExpiry, invitationState } from "../src/invitations";

describe("checkInvite", () => {
  it.each([
    ["owner", "owner", true],
    ["owner", "member", true],
    ["admin", "admin", true],
    ["admin", "owner", false],
    ["member", "member", false],
  ] as const)("%s inviting a %s → %s", (actor, role, allowed) => {
    expect(checkInvite(actor, role).allowed).toBe(allowed);
  });
});

describe("invitation state and responses", () => {
  const now = new Date("2026-03-01T12:00:00Z");
  const pending = { status: "pending" as const, email: "ana@example.com", expiresAt: invitationExpiry(now, 7) };

  it("expires exactly ttl days later", () => {
    expect(pending.expiresAt.toISOString()).toBe("2026-03-08T12:00:00.000Z");
    expect(invitationState(pending, new Date("2026-03-08T11:59:59.999Z"))).toBe("pending");
    expect(invitationState(pending, new Date("2026-03-08T12:00:00.000Z"))).toBe("expired");
    expect(invitationState({ ...pending, status: "accepted" }, new Date("2027-01-01"))).toBe("accepted");
  });

  it("only the invited address may answer, case-insensitively, and only while pending", () => {
    expect(checkResponse(pending, " Ana@Example.com ", now)).toEqual({ allowed: true });
    expect(checkResponse(pending, "eve@example.com", now)).toMatchObject({ allowed: false, reason: "wrong_address" });
    expect(checkResponse({ ...pending, status: "revoked" }, "ana@example.com", now)).toMatchObject({
      allowed: false,
      reason: "no_longer_pending",
      state: "revoked",
    });
    expect(checkResponse(pending, "ana@example.com", new Date("2026-03-09T00:00:00Z"))).toMatchObject({
      allowed: false,
      state: "expired",
    });
  });
});
