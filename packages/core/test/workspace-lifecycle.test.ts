import { describe, expect, it } from "vitest";
import {
  blockingWorkspaces,
  checkDeletionRequest,
  checkOwnershipTransfer,
  deletionConfirmed,
  deletionEffectiveAt,
} from "../src/workspace-lifecycle";

describe("checkOwnershipTransfer", () => {
  it.each([
    ["owner to a member", { actorRole: "owner", targetRole: "member", isSelf: false }, true],
    ["owner to an admin", { actorRole: "owner", targetRole: "admin", isSelf: false }, true],
    ["admin tries", { actorRole: "admin", targetRole: "member", isSelf: false }, "forbidden"],
    ["member tries", { actorRole: "member", targetRole: "admin", isSelf: false }, "forbidden"],
    ["to a non-member", { actorRole: "owner", targetRole: null, isSelf: false }, "not_member"],
    ["to oneself", { actorRole: "owner", targetRole: "owner", isSelf: true }, "invalid"],
    ["to another owner", { actorRole: "owner", targetRole: "owner", isSelf: false }, "invalid"],
  ] as const)("%s", (_label, transfer, expected) => {
    const verdict = checkOwnershipTransfer(transfer);
    if (expected === true) expect(verdict).toEqual({ allowed: true });
    else expect(verdict).toMatchObject({ allowed: false, reason: expected });
  });
});

describe("workspace deletion", () => {
  it("is confirmed by the exact name (ends trimmed, case kept)", () => {
    expect(deletionConfirmed("  Sales EU ", "Sales EU")).toBe(true);
    expect(deletionConfirmed("sales eu", "Sales EU")).toBe(false);
    expect(deletionConfirmed("Sales", "Sales EU")).toBe(false);
    expect(deletionConfirmed("", "")).toBe(false);
  });

  it("only an owner with the right confirmation may request it", () => {
    expect(checkDeletionRequest({ actorRole: "owner", typed: "Acme", workspaceName: "Acme" })).toEqual({
      allowed: true,
    });
    expect(checkDeletionRequest({ actorRole: "admin", typed: "Acme", workspaceName: "Acme" })).toMatchObject({
      reason: "forbidden",
    });
    expect(checkDeletionRequest({ actorRole: "owner", typed: "DELETE", workspaceName: "Acme" })).toMatchObject({
      reason: "invalid",
    });
  });

  it("runs after the grace period", () => {
    expect(deletionEffectiveAt(new Date("2026-01-01T00:00:00Z"), 30).toISOString()).toBe("2026-01-31T00:00:00.000Z");
  });

  it("a sole owner is blocked only by workspaces nobody else owns and that are not scheduled for deletion", () => {
    const owned = [
      { workspaceId: "a", otherOwners: 0, deletionScheduledAt: null },
      { workspaceId: "b", otherOwners: 1, deletionScheduledAt: null },
      { workspaceId: "c", otherOwners: 0, deletionScheduledAt: new Date() },
    ];
    expect(blockingWorkspaces(owned).map((w) => w.workspaceId)).toEqual(["a"]);
  });
});
