/**
 * Webhooks end to end, in Chromium against the real server and a real receiver on
 * loopback (the test server lets plain http to 127.0.0.1 through its SSRF guard): an
 * owner adds an endpoint and copies its secret, a new contact arrives signed with that
 * secret, the message log shows it delivered with its attempt, replay sends the same
 * webhook-id again, a test message goes out, and the endpoint is disabled. axe-core
 * checks the page with the secret showing and with the log open.
 */
import { verifyWebhook } from "@rapport/core/webhook-signature";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../../server/test/support/app";
import { startReceiver, type WebhookReceiver } from "../../server/test/support/webhook-receiver";
import {
  expectAccessible,
  launchBrowser,
  openPage,
  artifactName,
  screenshot,
  signIn,
  startServer,
  E2E_DRIVERS,
} from "./support/harness";

describe.each(E2E_DRIVERS)("webhooks page on %s", (driver) => {
  let app: TestApp;
  let browser: Browser;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    [app, browser, receiver] = await Promise.all([
      startServer({ driver, env: { WEBHOOK_PLAIN_HTTP_HOSTS: "127.0.0.1", WEBHOOK_ALLOWED_CIDRS: "127.0.0.0/8" } }),
      launchBrowser(),
      startReceiver(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await app?.close();
  });

  it("add an endpoint and copy its secret → a contact arrives signed → log, attempt, replay, test, disable", async () => {
    const owner = await app.signUp("Wanda Webhooks");
    const workspace = await owner.client.workspaces.create.mutate({ name: "Hooks E2E" });
    const { context, page, record } = await openPage(browser, app.url);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.url });
    await page.goto(`/w/${workspace.id}/webhooks`);
    await signIn(page, owner.email, owner.password);
    await page
      .getByRole("navigation", { name: "Workspace sections" })
      .getByRole("link", { name: "Webhooks" })
      .waitFor();

    await page.getByRole("button", { name: "Add endpoint" }).click();
    const form = page.getByRole("form", { name: "Add an endpoint" });
    await form.getByLabel("URL").fill(receiver.url);
    await form.getByLabel("Description").fill("Loopback receiver");
    await form.getByRole("button", { name: "Create endpoint" }).click();
    const shown = page.getByRole("group", { name: `Endpoint ${receiver.url} created` });
    await shown.waitFor();
    const secret = await shown.getByLabel("Signing secret").inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    await shown.getByRole("button", { name: "Copy secret" }).click();
    await shown.getByText("Secret copied.").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await expectAccessible(page, "webhooks page with a new secret showing");

    // A change in the workspace reaches the receiver, verifiable with the secret the page showed.
    await owner.client.contacts.create.mutate({ workspaceId: workspace.id, name: "Ada Arrives" });
    const [delivered] = await receiver.waitFor(1, 45_000);
    const event = await verifyWebhook({ secret, headers: delivered!.headers, body: delivered!.body });
    expect(event).toMatchObject({ type: "contact.created", data: { name: "Ada Arrives" } });
    const webhookId = delivered!.headers["webhook-id"];

    const name = `Loopback receiver (${receiver.url})`;
    // A new endpoint's log is open already.
    await page.getByRole("button", { name: `Hide messages of ${name}` }).waitFor();
    const log = page.getByRole("table", { name: /Messages to/ });
    await log.getByText("Delivered").waitFor({ timeout: 30_000 });
    await log.getByRole("button", { name: /^Details of contact\.created message/ }).click();
    const attempts = page.getByRole("list", { name: "Attempts" });
    await attempts.getByText(/Attempt 1 \(scheduled\)/).waitFor();
    await attempts.getByText("Request headers").first().click();
    await attempts.getByText(`webhook-id: ${webhookId}`).waitFor();
    await expectAccessible(page, "webhooks page with the message log and an attempt open");
    console.log(`screenshot: ${await screenshot(page, artifactName("webhooks-log", driver))}`);

    await page.getByRole("button", { name: "Replay now" }).click();
    await page.getByText(/Replay: delivered \(HTTP 200/).waitFor();
    const again = await receiver.waitFor(2);
    expect(again[1]!.headers["webhook-id"]).toBe(webhookId);

    await page.getByRole("button", { name: `Send test to ${name}` }).click();
    await page.getByText(/Test message: delivered \(HTTP 200/).waitFor();
    const test = await receiver.waitFor(3);
    expect(JSON.parse(test[2]!.body)).toMatchObject({ type: "webhook.test" });

    await page.getByRole("button", { name: `Disable ${name}` }).click();
    await page.getByRole("button", { name: `Enable ${name}` }).waitFor();
    const [endpoint] = await owner.client.webhooks.list.query({ workspaceId: workspace.id });
    expect(endpoint).toMatchObject({ enabled: false, disabledReason: "disabled by an admin" });
    expect(record.errors).toEqual([]);
    await context.close();
  });
});
