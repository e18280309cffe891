import { NOTIFYING_EVENT_TYPES, notificationFor } from "@rapport/core";
import { describe, expect, it } from "vitest";
import { DOMAIN_EVENT_TYPES } from "../src/platform/events/types";

describe("notifying event types", () => {
  it("are exactly the domain event types notificationFor raises a notification for (the dispatcher starts its consumer for those alone)", () => {
    // Payloads that satisfy every rule that reads one.
    const payload = { userId: "u1", assigneeId: "u2", connectionId: "c1", reason: "reconnect_needed" };
    const notifying = DOMAIN_EVENT_TYPES.filter((type) => notificationFor(type, payload) !== null);
    expect([...notifying].sort()).toEqual([...NOTIFYING_EVENT_TYPES].sort());
  });
});
