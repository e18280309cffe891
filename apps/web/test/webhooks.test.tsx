/**
 * The Webhooks page: owners/admins see each endpoint's health, create one (checked
 * with the server's own schema before anything is sent; the secret shown once to
 * copy), read the message log with its attempts, replay, recover with progress,
 * send a test and disable. Only fetch is faked (support/fake-server.ts).
 */
import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";

const ENDPOINT_ID = "77777777-7777-4777-8777-777777777777";
const FAILING_ID = "88888888-8888-4888-8888-888888888888";
const MESSAGE_ID = "99999999-9999-4999-8999-999999999999";
const SECRET = `whsec_${"A".repeat(32)}`;
const NOW = new Date();

const endpoint = (overrides: Record<string, unknown> = {}) => ({
  id: ENDPOINT_ID,
  url: "https://hooks.example.com/rapport",
  description: "CRM sync",
  eventTypes: ["contact.created", "contact.updated"],
  enabled: true,
  disabledReason: null,
  disabledAt: null,
  rateLimitPerSecond: 10,
  secretRotatedAt: null,
  createdAt: NOW,
  updatedAt: NOW,
  health: { attempts24h: 8, successRate24h: 0.75, lastStatusCode: 200, lastAttemptAt: NOW },
  ...overrides,
});

const CATALOGUE = [
  { type: "contact.created", description: "A contact was created.", example: {} },
  { type: "contact.updated", description: "A contact changed.", example: {} },
];

const attempt = (n: number, ok: boolean) => ({
  id: `aaaaaaaa-aaaa-4aaa-8aaa-00000000000${n}`,
  messageId: MESSAGE_ID,
  attempt: n,
  trigger: "scheduled",
  statusCode: ok ? 200 : 503,
  ok,
  durationMs: 42,
  responseBody: ok ? "thanks" : "upstream down",
  error: ok ? null : "HTTP 503",
  requestHeaders: { "webhook-id": MESSAGE_ID, "webhook-signature": "v1,abc=" },
  nextAttemptAt: null,
  createdAt: NOW,
});

describe("Webhooks page", () => {
  it("lists endpoints with their health; creating one checks the form first, then shows the secret once to copy", async () => {
    let endpoints = [
      endpoint(),
      endpoint({
        id: FAILING_ID,
        url: "https://gone.example.com/hook",
        description: null,
        eventTypes: ["*"],
        enabled: false,
        disabledReason: "The receiver answered 410 Gone",
        disabledAt: NOW,
        health: { attempts24h: 0, successRate24h: null, lastStatusCode: 410, lastAttemptAt: NOW },
      }),
    ];
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/webhooks`,
      handlers: {
        "webhooks.list": () => endpoints,
        "webhooks.eventTypes": () => CATALOGUE,
        "webhooks.create": (input: { url: string; eventTypes: string[] }) => {
          const created = endpoint({
            id: "12121212-1212-4212-8212-121212121212",
            url: input.url,
            eventTypes: input.eventTypes,
          });
          endpoints = [...endpoints, created];
          return { endpoint: created, secret: SECRET };
        },
      },
    });

    expect(await screen.findByRole("heading", { name: "Endpoints (2)" })).toBeInTheDocument();
    const crm = screen.getByRole("listitem", { name: "https://hooks.example.com/rapport" });
    expect(within(crm).getByText("75% of 8")).toBeInTheDocument();
    expect(within(crm).getByText("Enabled")).toBeInTheDocument();
    const gone = screen.getByRole("listitem", { name: "https://gone.example.com/hook" });
    expect(within(gone).getByText("Disabled")).toBeInTheDocument();
    expect(within(gone).getByText(/The receiver answered 410 Gone/)).toBeInTheDocument();
    expect(within(gone).getByText("no attempts")).toBeInTheDocument();
    expect(within(gone).getByRole("button", { name: /^Enable/ })).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Add endpoint" }));
    const form = await screen.findByRole("form", { name: "Add an endpoint" });
    await user.type(within(form).getByLabelText("URL"), "not a url");
    await user.click(within(form).getByRole("button", { name: "Create endpoint" }));
    expect(await within(form).findByText("must be an absolute URL (https://…)")).toBeInTheDocument();
    // Only the event types picked: none yet is refused by the same schema.
    await user.click(within(form).getByLabelText(/All events/));
    await user.click(await within(form).findByLabelText(/contact\.updated/));
    await user.clear(within(form).getByLabelText("URL"));
    await user.type(within(form).getByLabelText("URL"), "https://new.example.com/in");
    expect(server.callsTo("webhooks.create")).toEqual([]);
    await user.click(within(form).getByRole("button", { name: "Create endpoint" }));

    const shown = await screen.findByRole("group", { name: "Endpoint https://new.example.com/in created" });
    expect(within(shown).getByLabelText("Signing secret")).toHaveValue(SECRET);
    await user.click(within(shown).getByRole("button", { name: "Copy secret" }));
    expect(await navigator.clipboard.readText()).toBe(SECRET);
    expect(await within(shown).findByText("Secret copied.")).toBeInTheDocument();
    expect(server.callsTo("webhooks.create").map((call) => call.input)).toEqual([
      {
        workspaceId: WORKSPACE_ID,
        url: "https://new.example.com/in",
        description: "",
        eventTypes: ["contact.updated"],
      },
    ]);
    expect(await screen.findByRole("heading", { name: "Endpoints (3)" })).toBeInTheDocument();
    await user.click(within(shown).getByRole("button", { name: "Done" }));
    expect(screen.queryByLabelText("Signing secret")).toBeNull();
  });

  it("shows the message log with status chips and attempt details; replays, recovers with progress, tests and disables", async () => {
    let recoverPolls = 0;
    let enabled = true;
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/webhooks`,
      handlers: {
        "webhooks.list": () => [endpoint({ enabled })],
        "webhooks.messages": () => ({
          items: [
            {
              id: MESSAGE_ID,
              endpointId: ENDPOINT_ID,
              eventId: "1",
              eventType: "contact.created",
              status: "failed",
              attempts: 1,
              nextAttemptAt: null,
              createdAt: NOW,
              deliveredAt: null,
              lastStatusCode: 503,
            },
            {
              id: "99999999-9999-4999-8999-000000000001",
              endpointId: ENDPOINT_ID,
              eventId: "2",
              eventType: "contact.updated",
              status: "delivered",
              attempts: 1,
              nextAttemptAt: null,
              createdAt: NOW,
              deliveredAt: NOW,
              lastStatusCode: 200,
            },
          ],
          nextCursor: null,
        }),
        "webhooks.attempts": () => ({
          message: { id: MESSAGE_ID, body: '{"type":"contact.created"}', status: "failed" },
          attempts: [attempt(1, false)],
        }),
        "webhooks.replay": () => attempt(2, true),
        "webhooks.recover": () => ({ jobId: `webhook-recover-${WORKSPACE_ID}-${ENDPOINT_ID}-abc` }),
        "webhooks.recoverStatus": () =>
          ++recoverPolls < 2
            ? { state: "active", progress: 40, result: undefined, failedReason: null }
            : { state: "completed", progress: 100, result: { requeued: 3 }, failedReason: null },
        "webhooks.sendTest": () => attempt(1, true),
        "webhooks.update": (input: { enabled: boolean }) => {
          enabled = input.enabled;
          return endpoint({ enabled });
        },
      },
    });

    await user.click(await screen.findByRole("button", { name: /^Messages of CRM sync/ }));
    const log = await screen.findByRole("table", { name: /Messages to/ });
    const rows = within(log).getAllByRole("row");
    expect(within(rows[1]!).getByText("Failed")).toHaveClass("wh-chip-failed");
    expect(within(rows[2]!).getByText("Delivered")).toHaveClass("wh-chip-delivered");

    await user.click(within(rows[1]!).getByRole("button", { name: /^Details/ }));
    const attempts = await screen.findByRole("list", { name: "Attempts" });
    expect(within(attempts).getByText(/Attempt 1 \(scheduled\)/)).toBeInTheDocument();
    expect(within(attempts).getByText(/webhook-signature: v1,abc=/)).toBeInTheDocument();
    expect(within(attempts).getByText("upstream down")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Replay now" }));
    expect(await screen.findByText(/Replay: delivered \(HTTP 200, 42 ms\)/)).toBeInTheDocument();
    expect(server.callsTo("webhooks.replay").map((call) => call.input)).toEqual([
      { workspaceId: WORKSPACE_ID, messageId: MESSAGE_ID },
    ]);

    const recover = screen.getByRole("form", { name: "Recover failed messages" });
    await user.click(within(recover).getByRole("button", { name: "Recover" }));
    expect(await within(recover).findByRole("progressbar", { name: "Recovery progress" })).toBeInTheDocument();
    expect(
      await within(recover).findByText("Recovery done: 3 message(s) queued again.", {}, { timeout: 5_000 }),
    ).toBeInTheDocument();
    const since = server.callsTo("webhooks.recover")[0]!.input.since as Date;
    expect(Math.abs(Date.now() - new Date(since).getTime() - 86_400_000)).toBeLessThan(120_000);

    await user.click(screen.getByRole("button", { name: /^Send test/ }));
    expect(await screen.findByText(/Test message: delivered \(HTTP 200, 42 ms\)/)).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: /^Disable/ }));
    await waitFor(() => expect(screen.getByText("Disabled")).toBeInTheDocument());
    expect(server.callsTo("webhooks.update").map((call) => call.input)).toEqual([
      { workspaceId: WORKSPACE_ID, endpointId: ENDPOINT_ID, enabled: false },
    ]);
  });

  it("a plain member is told the page is for owners and admins, and nothing is asked of the server", async () => {
    const { server } = await renderApp({ path: `/w/${WORKSPACE_ID}/webhooks`, role: "member" });
    expect(await screen.findByText(/The webhooks page is for owners and admins/)).toBeInTheDocument();
    expect(server.callsTo("webhooks.list")).toEqual([]);
    expect(screen.queryByRole("link", { name: "Webhooks" })).toBeNull();
  });
});
