import { describe, expect, it } from "vitest";
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

describe.each(E2E_DRIVERS)("invitations on %s", (driver) => {
  const run = serverAndBrowser({ driver });

  it("owner creates and copies a link → another account is refused → the invitee registers with the address and accepts", async () => {
    const owner = await run.app.signUp("Olive Owner");
    const workspace = await owner.client.workspaces.create.mutate({ name: "Invite E2E" });
    const inviteeEmail = `invitee.${Date.now()}@example.com`;

    // The owner invites an address that has no account yet.
    const { context, page, record } = await openPage(run.browser, run.app.url);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: run.app.url });
    await page.goto(`/w/${workspace.id}/members`);
    await signIn(page, owner.email, owner.password);
    const form = page.getByRole("form", { name: "Invite someone" });
    await form.getByLabel("Email").fill(inviteeEmail);
    await form.getByLabel("Role").selectOption("admin");
    await form.getByRole("button", { name: "Create invitation link" }).click();
    const created = page.getByRole("group", { name: `Invitation for ${inviteeEmail} as admin created` });
    await created.waitFor();
    const link = await created.getByLabel("Invitation link").inputValue();
    expect(link).toMatch(new RegExp(`^${run.app.url}/invite#[A-Za-z0-9_-]{43}$`));
    await created.getByRole("button", { name: "Copy link" }).click();
    await created.getByText("Link copied.").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
    await page.getByRole("heading", { name: "Pending invitations (1)" }).waitFor();
    await page.getByRole("button", { name: `Withdraw the invitation for ${inviteeEmail}` }).waitFor();
    await expectAccessible(page, "members page with an invitation link");
    console.log(`screenshot: ${await screenshot(page, artifactName("members-invitation", driver))}`);
    expect(record.errors).toEqual([]);
    await context.close();

    // Someone else with the link: refused, told why, and nothing joins.
    const eve = await run.app.signUp("Eve Elsewhere");
    {
      const { context, page } = await openPage(run.browser, run.app.url);
      await page.goto(link);
      await signIn(page, eve.email, eve.password);
      await page.getByRole("alert").getByText("This invitation was sent to another address.").waitFor();
      expect(await page.getByRole("button", { name: "Accept invitation" }).count()).toBe(0);
      await context.close();
    }
    expect(await eve.client.workspaces.list.query()).toEqual([]);

    // The invitee: signed out, told to use the invited address, registers, sees the invitation and accepts.
    {
      const { context, page, record } = await openPage(run.browser, run.app.url);
      await page.goto(link);
      await page.getByText(/Sign in, or create an account, with the address the invitation was sent to/).waitFor();
      await page.getByRole("button", { name: "Create an account" }).click();
      await page.getByLabel("Name").fill("Ivy Invitee");
      await page.getByLabel("Email").fill(inviteeEmail);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Create account" }).click();
      const card = page.getByRole("region", { name: "Join Invite E2E?" });
      await card.waitFor();
      expect(await card.textContent()).toContain("Olive Owner invited you to join Invite E2E as an admin.");
      await expectAccessible(page, "invitation page");
      console.log(`screenshot: ${await screenshot(page, artifactName("invitation", driver))}`);
      await card.getByRole("button", { name: "Accept invitation" }).click();
      await page.waitForURL(`**/w/${workspace.id}/today`);
      await page.getByRole("heading", { level: 1, name: "Today" }).waitFor();
      await page.getByRole("button", { name: "Workspace: Invite E2E" }).waitFor();
      // Used once: opening the link again says so.
      await page.goto(link);
      await page.getByText("This invitation has already been used.").waitFor();
      expect(record.errors).toEqual([]);
      await context.close();
    }
    const members = await owner.client.workspaces.members.query({ workspaceId: workspace.id });
    expect(members.map((m) => [m.email, m.role]).sort()).toEqual(
      [
        [inviteeEmail, "admin"],
        [owner.email, "owner"],
      ].sort(),
    );
    expect(await owner.client.invitations.listPending.query({ workspaceId: workspace.id })).toEqual([]);
  });

  it("a withdrawn invitation leaves the list and its link stops working", async () => {
    const owner = await run.app.signUp("Walt Withdraws");
    const workspace = await owner.client.workspaces.create.mutate({ name: "Withdraw E2E" });
    const guest = await run.app.signUp("Gus Guest");
    const { link } = await owner.client.invitations.invite.mutate({ workspaceId: workspace.id, email: guest.email });

    const { context, page, record } = await openPage(run.browser, run.app.url);
    await page.goto(`/w/${workspace.id}/members`);
    await signIn(page, owner.email, owner.password);
    await page.getByRole("heading", { name: "Pending invitations (1)" }).waitFor();
    await page.getByRole("button", { name: `Withdraw the invitation for ${guest.email}` }).click();
    await page.getByText(`The invitation for ${guest.email} was withdrawn; its link no longer works.`).waitFor();
    await page.getByText("No pending invitations.").waitFor();
    expect(record.errors).toEqual([]);
    await context.close();

    const invitee = await openPage(run.browser, run.app.url);
    await invitee.page.goto(new URL(link, run.app.url).toString());
    await signIn(invitee.page, guest.email, guest.password);
    await invitee.page.getByText("Withdraw E2E withdrew this invitation.").waitFor();
    await invitee.context.close();
  });
});
