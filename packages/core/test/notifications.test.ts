import { describe, expect, it } from "vitest";
import { NOTIFYING_EVENT_TYPES, notificationFor } from "../src/notifications";

describe("notification rules", () => {
  it("only the types listed as notifying raise a notification (the dispatcher starts the consumer for those alone)", () => {
    // Payloads that satisfy every rule that reads one.
    const payload = { userId: "u1", assigneeId: "u2", connectionId: "c1", reason: "reconnect_needed" };
    const listed = new Set<string>(NOTIFYING_EVENT_TYPES);
    for (const type of listed) expect(notificationFor(type, payload), type).not.toBeNull();
    // That no other type raises one is checked against the full catalogue of domain event types,
    // which the api package defines: packages/api/test/notification-types.test.ts.
  });
});
