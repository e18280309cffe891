/**
 * The audit log's filter picks from the actions it records; the cache keys' filter
 * checks its field with the server's own input schema (@rapport/core/schemas): a value
 * the server would refuse shows its message on the field and no request is made with it.
 */
import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { USER, WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";

interface AuditInput {
  action: string | null;
  actorId: string | null;
}
interface KeysInput {
  pattern: string;
}

describe("audit log filter", () => {
  it("picks an action from the list (in words) and an actor, and shows entries' actions in words", async () => {
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/audit`,
      handlers: {
        "audit.list": (input: AuditInput) => ({
          items:
            input.action === "member.added"
              ? [
                  {
                    id: 1,
                    action: "member.added",
                    actorId: USER.id,
                    targetType: "user",
                    targetId: USER.id,
                    ip: null,
                    userAgent: null,
                    metadata: {},
                    createdAt: new Date("2026-03-01T10:00:00Z"),
                  },
                ]
              : [],
          nextCursor: null,
        }),
      },
    });
    const form = await screen.findByRole("search", { name: "Filter the audit log" });
    await waitFor(() => expect(server.callsTo("audit.list")).toHaveLength(1));
    const action = within(form).getByLabelText("Action");
    expect(within(action).getByRole("option", { name: "Any action" })).toBeInTheDocument();

    await user.selectOptions(action, "Member added");
    await user.selectOptions(within(form).getByLabelText("Actor"), USER.id);
    await user.click(within(form).getByRole("button", { name: "Filter" }));
    await waitFor(() =>
      expect(server.callsTo("audit.list").map((call) => call.input as AuditInput)).toContainEqual(
        expect.objectContaining({ action: "member.added", actorId: USER.id }),
      ),
    );
    expect(await screen.findByRole("cell", { name: "Member added" })).toBeInTheDocument();
  });
});

describe("cache keys filter", () => {
  it("refuses a pattern longer than the server allows on the field, then searches with a valid one", async () => {
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/cache`,
      handlers: { "cache.keys": () => ({ keys: [], nextCursor: null, status: "ok" }) },
    });
    const form = await screen.findByRole("search", { name: "Filter cache keys" });
    await waitFor(() => expect(server.callsTo("cache.keys")).toHaveLength(1));
    const pattern = within(form).getByLabelText("Key pattern");
    await user.clear(pattern);
    await user.type(pattern, `rec:${"x".repeat(130)}`);
    await user.click(within(form).getByRole("button", { name: "Search keys" }));

    expect(await within(form).findByText("must be at most 128 characters")).toBeInTheDocument();
    expect(pattern).toHaveAttribute("aria-invalid", "true");
    expect(pattern).toHaveAccessibleDescription(expect.stringContaining("must be at most 128 characters"));
    expect(server.callsTo("cache.keys")).toHaveLength(1);

    await user.clear(pattern);
    await user.type(pattern, "rec:*");
    await user.click(within(form).getByRole("button", { name: "Search keys" }));
    await waitFor(() =>
      expect(server.callsTo("cache.keys").map((call) => (call.input as KeysInput).pattern)).toContain("rec:*"),
    );
    expect(pattern).not.toHaveAttribute("aria-invalid");
  });
});
