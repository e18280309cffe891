import { describe, expect, it } from "vitest";
import { joinWorkspace } from "../../server/test/support/members";
import {
  expectAccessible,
  openPage,
  artifactName,
  screenshot,
  signIn,
  E2E_DRIVERS,
  serverAndBrowser,
} from "./support/harness";

const PASSWORD = "correct horse battery staple";
const NAME = "Lifecycle E2E";

describe.each(E2E_DRIVERS)("workspace lifecycle on %s", (driver) => {
  const run = serverAndBrowser({ driver });

  it("sole owner: delete link → danger zone → scheduled (members see it) → cancel → transfer → account deletion possible → new owner deletes it", async () => {
    const owner = await openPage(run.browser, run.app.url);
    const page = owner.page;
    const email = `wanda.${Date.now()}@example.com`;
    const main = page.getByRole("main");

    await page.goto("/");
    await page.getByRole("button", { name: "Create an account" }).click();
    await page.getByLabel("Name").fill("Wanda Owner");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await main.getByLabel("Workspace name").fill(NAME);
    await main.getByRole("button", { name: "Create workspace" }).click();
    await page.waitForURL(/\/w\/[0-9a-f-]{36}\/today$/);
    const workspaceId = /\/w\/([0-9a-f-]{36})\//.exec(page.url())![1]!;

    const login = await run.app.client().auth.login.mutate({ email, password: PASSWORD });
    const api = run.app.client(login.accessToken);
    const bruno = await run.app.signUp("Bruno Member");
    await joinWorkspace({ client: api }, workspaceId, bruno);
    await api.contacts.create.mutate({ workspaceId, name: "Greta Gone", email: "greta@gone.example" });

    // Privacy page: the workspace blocks the account's deletion; both ways out are offered.
    await page.goto("/privacy");
    const remove = page.getByRole("region", { name: "Delete my account" });
    await remove.getByText(/You are the only owner of these workspaces/).waitFor();
    expect(await remove.getByRole("link", { name: `Transfer ownership of ${NAME}` }).getAttribute("href")).toBe(
      `/w/${workspaceId}/members#transfer-ownership`,
    );
    await remove.getByRole("link", { name: `Delete workspace ${NAME}` }).click();
    await page.waitForURL(new RegExp(`/w/${workspaceId}/members#delete-workspace$`));

    // Danger zone: the exact name unlocks the button.
    const danger = page.getByRole("region", { name: "Delete this workspace" });
    const schedule = danger.getByRole("button", { name: "Schedule workspace deletion" });
    const confirmation = danger.getByLabel(`Type the workspace's name, ${NAME}, to confirm`);
    await confirmation.fill(NAME.toLowerCase());
    expect(await schedule.isDisabled()).toBe(true);
    await confirmation.fill(NAME);
    expect(await schedule.isEnabled()).toBe(true);
    await schedule.click();
    const when = danger.getByText(new RegExp(`^${NAME} will be deleted on `));
    await when.waitFor();
    expect(await when.textContent()).toMatch(/\(in (29|30) days\)/);
    await danger.getByText(/deleted irreversibly on \d{4}-\d{2}-\d{2}/).waitFor();
    // The notice above the page, with the way back for owners.
    await page.getByRole("link", { name: "Cancel the deletion on the Members page" }).waitFor();
    await expectAccessible(page, "members page with a scheduled deletion");
    console.log(`screenshot: ${await screenshot(page, artifactName("workspace-danger-zone", driver))}`);

    // The member sees the notice on every page, and the workspace still works.
    const member = await openPage(run.browser, run.app.url);
    await member.page.goto("/");
    await signIn(member.page, bruno.email, bruno.password);
    await member.page.goto(`/w/${workspaceId}/contacts`);
    const notice = member.page.getByRole("status").filter({ hasText: "scheduled it" });
    await notice.getByText(new RegExp(`^${NAME} will be deleted on `)).waitFor();
    expect(await notice.textContent()).toContain("Wanda Owner scheduled it");
    expect(await notice.textContent()).toContain("Ask an owner if it should stay.");
    await member.page.getByRole("main").getByRole("link", { name: "Greta Gone", exact: true }).first().waitFor();
    await expectAccessible(member.page, "member's contacts page with the deletion notice");
    console.log(`screenshot: ${await screenshot(member.page, artifactName("workspace-deletion-notice", driver))}`);

    // The owner cancels, then hands the workspace to Bruno.
    await danger.getByRole("button", { name: "Cancel deletion" }).click();
    await danger.getByText(`Deletion cancelled. ${NAME} stays as it is.`).waitFor();
    const transfer = page.getByRole("region", { name: "Transfer ownership" });
    await transfer.getByLabel("New owner").selectOption({ label: `Bruno Member (member, ${bruno.email})` });
    await transfer.getByRole("button", { name: "Transfer ownership" }).click();
    const dialog = page.getByRole("dialog", { name: "Make Bruno Member the owner?" });
    await dialog.getByRole("button", { name: "Yes, transfer" }).click();
    await main.getByText(`Bruno Member now owns ${NAME}. You are an admin.`).waitFor();
    await main.getByText("You: Admin").waitFor();
    expect(await page.getByRole("region", { name: "Delete this workspace" }).count()).toBe(0);
    expect(
      (await run.app.query`SELECT role FROM memberships WHERE workspace_id = ${workspaceId} ORDER BY role`).map(
        (r) => r.role,
      ),
    ).toEqual(["admin", "owner"]);

    // Nothing blocks the account's deletion any more.
    await page.goto("/privacy");
    await remove.getByLabel("Reason").fill("Handing over");
    await remove.getByLabel("Password").fill(PASSWORD);
    await remove.getByLabel("Type DELETE to confirm").fill("DELETE");
    expect(await remove.getByText(/You are the only owner/).count()).toBe(0);
    await remove.getByRole("button", { name: "Schedule account deletion" }).click();
    await remove.getByText(/^Your account will be deleted on /).waitFor();

    // Bruno, now the owner, deletes the workspace; when its date comes, it is gone for everyone.
    await member.page.goto(`/w/${workspaceId}/members`);
    const brunoDanger = member.page.getByRole("region", { name: "Delete this workspace" });
    await member.page.getByRole("main").getByText("You: Owner").waitFor();
    await brunoDanger.getByLabel(`Type the workspace's name, ${NAME}, to confirm`).fill(NAME);
    await brunoDanger.getByRole("button", { name: "Schedule workspace deletion" }).click();
    await brunoDanger.getByRole("button", { name: "Cancel deletion" }).waitFor();
    // The grace period passes.
    await run.app
      .query`UPDATE gdpr_operations SET effective_at = now() - interval '1 minute' WHERE type = 'workspace_deletion' AND status = 'pending'`;
    expect(await run.app.runtime.services.workspaceDeletion.runDueDeletions()).toEqual({ executed: 1, failed: 0 });
    await member.page.goto(`/w/${workspaceId}/contacts`);
    await member.page.getByRole("heading", { name: "Workspace not found" }).waitFor();
    expect(await run.app.query`SELECT 1 FROM contacts WHERE workspace_id = ${workspaceId}`).toHaveLength(0);
    await page.goto("/");
    await expect.poll(() => page.getByRole("main").getByText(NAME).count()).toBe(0);

    expect(owner.record.errors).toEqual([]);
    expect(member.record.errors).toEqual([]);
    await owner.context.close();
    await member.context.close();
  });
});
