import { describe, expect, it } from "vitest";
import { checkRoleChange, hasRole } from "../src/roles";

describe("hasRole", () => {
  it("orders member < admin < owner", () => {
    expect(hasRole("owner", "admin")).toBe(true);
    expect(hasRole("admin", "admin")).toBe(true);
    expect(hasRole("member", "admin")).toBe(false);
    expect(hasRole("admin", "owner")).toBe(false);
  });
});

describe("checkRoleChange", () => {
  const base = { isSelf: false, ownerCount: 2 } as const;
  it.each([
    [
      "owner demotes an owner",
      { ...base, actorRole: "owner", targetCurrentRole: "owner", targetNewRole: "admin" },
      true,
    ],
    [
      "admin promotes member to admin",
      { ...base, actorRole: "admin", targetCurrentRole: "member", targetNewRole: "admin" },
      true,
    ],
    [
      "admin promotes to owner",
      { ...base, actorRole: "admin", targetCurrentRole: "member", targetNewRole: "owner" },
      "forbidden",
    ],
    [
      "admin removes an owner",
      { ...base, actorRole: "admin", targetCurrentRole: "owner", targetNewRole: null },
      "forbidden",
    ],
    [
      "admin demotes the only owner",
      { ...base, ownerCount: 1, actorRole: "admin", targetCurrentRole: "owner", targetNewRole: "member" },
      "forbidden",
    ],
    [
      "member removes someone",
      { ...base, actorRole: "member", targetCurrentRole: "member", targetNewRole: null },
      "forbidden",
    ],
    [
      "member leaves",
      { ...base, isSelf: true, actorRole: "member", targetCurrentRole: "member", targetNewRole: null },
      true,
    ],
    [
      "last owner leaves",
      { ...base, isSelf: true, ownerCount: 1, actorRole: "owner", targetCurrentRole: "owner", targetNewRole: null },
      "last_owner",
    ],
    [
      "last owner demotes self",
      { ...base, isSelf: true, ownerCount: 1, actorRole: "owner", targetCurrentRole: "owner", targetNewRole: "admin" },
      "last_owner",
    ],
    [
      "one of two owners leaves",
      { ...base, isSelf: true, actorRole: "owner", targetCurrentRole: "owner", targetNewRole: null },
      true,
    ],
  ] as const)("%s", (_label, change, expected) => {
    const verdict = checkRoleChange(change);
    if (expected === true) expect(verdict).toEqual({ allowed: true });
    else expect(verdict).toMatchObject({ allowed: false, reason: expected });
  });
});
