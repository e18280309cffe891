import { describe, expect, it } from "vitest";
import {
  artifactName,
  E2E_DRIVERS,
  expectAccessible,
  openPage,
  screenshot,
  serverAndBrowser,
  signIn,
} from "./support/harness";

describe.each(E2E_DRIVERS)("account page on %s", (driver) => {
  const run = serverAndBrowser({ driver });

  it("renames the account, changes the password (the other sessions end, this one stays), signs a session out, and is signed out from elsewhere at once", async () => {
    const person = await run.app.signUp("Paula Person");
    const workspace = await person.client.workspaces.create.mutate({ name: "Account E2E" });
    const elsewhere = await run.app.signIn(person);

    const { context, page, record } = await openPage(run.browser, run.app.url);
    await page.goto(`/w/${workspace.id}/today`);
    await signIn(page, person.email, person.password);
    await page.getByRole("link", { name: "Paula Person, account settings" }).click();
    await page.getByRole("heading", { level: 1, name: "Account" }).waitFor();

    // The name: the top bar and the member list take it.
    const profile = page.getByRole("region", { name: "Profile" });
    await profile.getByLabel("Name").fill("Paula Person-Lee");
    await profile.getByRole("button", { name: "Save name" }).click();
    await profile.getByText("Name saved.").waitFor();
    await page.getByRole("link", { name: "Paula Person-Lee, account settings" }).waitFor();
    const members = await person.client.workspaces.members.query({ workspaceId: workspace.id });
    expect(members.map((member) => member.name)).toEqual(["Paula Person-Lee"]);

    // Three sessions: this browser, the sign-up's and the one elsewhere.
    const sessions = page.getByRole("list", { name: "Sessions" });
    await expect.poll(() => sessions.getByRole("listitem").count()).toBe(3);
    await sessions.getByText("This browser").waitFor();

    // The password: a wrong current one is shown on its field; then the change ends the two others.
    const password = page.getByRole("region", { name: "Password" });
    await password.getByLabel("Current password").fill("not the password");
    await password.getByLabel("New password").fill("a different passphrase 9");
    await password.getByRole("button", { name: "Change password" }).click();
    await password.getByText("The current password is incorrect.").waitFor();
    await password.getByLabel("Current password").fill(person.password);
    await password.getByRole("button", { name: "Change password" }).click();
    await password.getByText("Password changed. 2 other sessions were signed out.").waitFor();
    await expect.poll(() => sessions.getByRole("listitem").count()).toBe(1);
    await expect(elsewhere.client.auth.me.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });

    // A new sign-in elsewhere, with the new password, shows up after a reload and is signed out from here.
    const again = await run.app.signIn({ ...person, password: "a different passphrase 9" });
    await page.reload();
    await expect.poll(() => sessions.getByRole("listitem").count()).toBe(2);
    await sessions.getByRole("button", { name: /^Sign out / }).click();
    await expect.poll(() => sessions.getByRole("listitem").count()).toBe(1);
    await expect(again.client.auth.me.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });

    const activity = page.getByRole("list", { name: "Security activity" });
    await activity.getByText("Password changed").waitFor();
    await activity.getByText("Password not changed: wrong current password").waitFor();
    await expectAccessible(page, "account page");
    console.log(`screenshot: ${await screenshot(page, artifactName("account", driver))}`);
    // The browser stayed signed in throughout.
    await page.getByRole("link", { name: "Paula Person-Lee, account settings" }).waitFor();
    expect(record.errors).toEqual([]);

    // Signed out from elsewhere ("sign out all other sessions" on another device): this tab's
    // live stream (a workspace page's) is closed, its refresh refused, and it shows the
    // sign-in form within seconds, long before its access token would expire.
    // The workspace's audit log lists its members' sign-ins with where they came from.
    await page.goto(`/w/${workspace.id}/audit`);
    await page.getByRole("heading", { level: 1, name: "Audit log" }).waitFor();
    await page.getByRole("cell", { name: "Signed in", exact: true }).first().waitFor();

    await page.goto(`/w/${workspace.id}/today`);
    await page.getByRole("status").filter({ hasText: "Live" }).first().waitFor();
    const phone = await run.app.signIn({ ...person, password: "a different passphrase 9" });
    await phone.client.auth.revokeOtherSessions.mutate();
    await page.getByText("Session ended; sign in again").waitFor({ timeout: 10_000 });
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await context.close();
  });
});
