import { beforeAll, describe, expect, it } from "vitest";
import type { SignedInUser } from "../../server/test/support/app";
import { joinWorkspace } from "../../server/test/support/members";
import { expectAccessible, openPage, signIn, E2E_DRIVERS, serverAndBrowser } from "./support/harness";

describe.each(E2E_DRIVERS)("saved views of the contacts list on %s", (driver) => {
  let owner: SignedInUser;
  let member: SignedInUser;
  let workspaceId: string;

  const run = serverAndBrowser({ driver });

  beforeAll(async () => {
    [owner, member] = await Promise.all([run.app.signUp("Vi Views"), run.app.signUp("Mo Member")]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Views Co" })).id;
    await joinWorkspace(owner, workspaceId, member, "member");
    await owner.client.contacts.bulkCreate.mutate({
      workspaceId,
      contacts: [
        { name: "Zoe Acme", company: "Acme" },
        { name: "Abe Acme", company: "Acme" },
        { name: "Gina Globex", company: "Globex" },
      ],
    });
  });

  describe("in the browser", () => {
    it("saves the current filters, sort and columns as a shared view and applies it again; it stays current across a reload", async () => {
      const { context, page, record } = await openPage(run.browser, run.app.url);
      await page.goto("/");
      await signIn(page, owner.email, owner.password);
      await page.goto(`/w/${workspaceId}/contacts`);
      await page.getByLabel("Employer").fill("Acme");
      await page.getByLabel("Sort by").selectOption("name");
      await page.getByText("Gina Globex").waitFor({ state: "detached" });
      await page.getByText("Act on all 2 matching").click();
      await page.getByLabel("Phone", { exact: true }).uncheck();

      await page.getByText("Views", { exact: true }).click();
      await page.getByRole("button", { name: "Save current view…" }).click();
      await page.getByLabel("View name").fill("Acme people");
      await page.getByRole("checkbox", { name: "Share with the workspace" }).check();
      await page.getByRole("button", { name: "Save view" }).click();
      await page.getByText("Saved the view “Acme people”.").waitFor();
      await expectAccessible(page, "contacts list with the Views menu");
      const [saved] = await owner.client.views.list.query({ workspaceId });
      expect(saved).toMatchObject({
        name: "Acme people",
        shared: true,
        filters: { company: "Acme" },
        sort: "name",
        columns: ["name", "email", "company", "title", "tags"],
      });

      await page.goto(`/w/${workspaceId}/contacts`);
      await page.getByText("Gina Globex").first().waitFor();
      await page.getByText("Views", { exact: true }).click();
      await page
        .getByRole("list", { name: "Saved views" })
        .getByRole("button", { name: "Acme people", exact: true })
        .click();
      await page.waitForURL(/company=Acme/);
      const params = new URL(page.url()).searchParams;
      expect(params.get("sort")).toBe("name");
      expect(params.get("cols")).toBe("name,email,company,title,tags");
      await expect(page.getByLabel("Employer").inputValue()).resolves.toBe("Acme");
      await page.getByText("Gina Globex").waitFor({ state: "detached" });

      // The view applied is the list's current one, and stays so across a reload.
      await page.reload();
      await page.getByText("Zoe Acme").first().waitFor();
      await page.getByText("Views", { exact: true }).click();
      await page
        .getByRole("list", { name: "Saved views" })
        .locator('button[aria-current="true"]', { hasText: "Acme people" })
        .waitFor();

      // The search box combines with the view's filters: the count, the bulk panel and the
      // rows are the same set.
      await page.getByRole("searchbox", { name: "Search contacts" }).fill("zoe");
      await page.getByText("Act on all 1 matching").waitFor();
      await page.getByText("Abe Acme").waitFor({ state: "detached" });
      await page.getByText("Zoe Acme").first().waitFor();
      expect(record.errors).toEqual([]);
      await context.close();
    });

    it("renames a view in place, marks it modified when the filters change and updates it; both survive a reload", async () => {
      await owner.client.views.create.mutate({
        workspaceId,
        name: "Globex only",
        shared: false,
        filters: { company: "Globex" },
        sort: "name",
        columns: ["name", "email", "company"],
      });
      const { context, page, record } = await openPage(run.browser, run.app.url);
      await page.goto("/");
      await signIn(page, owner.email, owner.password);
      await page.goto(`/w/${workspaceId}/contacts`);
      await page.getByText("Zoe Acme").first().waitFor();
      await page.getByText("Views", { exact: true }).click();
      const list = page.getByRole("list", { name: "Saved views" });

      // Empty and too long: the server's own message, the edit stays open; Escape cancels it.
      await list.getByRole("button", { name: "Rename the view Globex only" }).click();
      const nameField = list.getByLabel("New name for the view Globex only");
      await nameField.fill("   ");
      await nameField.press("Enter");
      await list
        .getByRole("alert")
        .getByText(/must not be empty/)
        .waitFor();
      await nameField.fill("x".repeat(101));
      await nameField.press("Enter");
      await list
        .getByRole("alert")
        .getByText(/at most 100 characters/)
        .waitFor();
      await nameField.press("Escape");
      await nameField.waitFor({ state: "detached" });
      await list.getByRole("button", { name: "Globex only", exact: true }).waitFor();

      await list.getByRole("button", { name: "Rename the view Globex only" }).click();
      await nameField.fill("Globex team");
      await nameField.press("Enter");
      await page.getByText("Renamed the view to “Globex team”.").waitFor();
      await list.getByRole("button", { name: "Globex team", exact: true }).waitFor();
      // Focus is back on the Rename button the edit replaced.
      await page.waitForFunction(
        () => document.activeElement?.getAttribute("aria-label") === "Rename the view Globex team",
      );

      await page.reload();
      await page.getByText("Views", { exact: true }).click();
      await list.getByRole("button", { name: "Globex team", exact: true }).click();
      await page.getByText("Zoe Acme").first().waitFor({ state: "detached" });
      await expect(page.getByLabel("Employer").inputValue()).resolves.toBe("Globex");
      await expect(list.getByText("● modified").count()).resolves.toBe(0);
      expect(await list.getByRole("button", { name: "Update view with current filters" }).count()).toBe(0);

      // Moving the filters away marks the view; updating it takes the list's filters and sort.
      await page.getByLabel("Employer").fill("Acme");
      await page.getByLabel("Sort by").selectOption("name_desc");
      await list.getByText("● modified").waitFor();
      await page.getByText("· Globex team (modified)").waitFor();
      await expectAccessible(page, "a modified view in the Views menu");
      await list.getByRole("button", { name: "Update view with current filters" }).click();
      await page.getByText("Updated the view “Globex team” with the current filters.").waitFor();
      await list.getByText("● modified").waitFor({ state: "detached" });
      const updated = (await owner.client.views.list.query({ workspaceId })).find((v) => v.name === "Globex team");
      expect(updated).toMatchObject({
        filters: { company: "Acme" },
        sort: "name_desc",
        columns: ["name", "email", "company"],
      });

      await page.goto(`/w/${workspaceId}/contacts`);
      await page.getByText("Gina Globex").first().waitFor();
      await page.getByText("Views", { exact: true }).click();
      await list.getByRole("button", { name: "Globex team", exact: true }).click();
      await page.waitForURL(/company=Acme/);
      expect(new URL(page.url()).searchParams.get("sort")).toBe("name_desc");
      await expect(page.getByLabel("Employer").inputValue()).resolves.toBe("Acme");
      await page.getByText("Gina Globex").waitFor({ state: "detached" });
      expect(record.errors).toEqual([]);
      await context.close();
    });

    it("the owner shares a view and makes it private again; another member sees it and may not change it; the owner may delete a member's shared view", async () => {
      await owner.client.views.create.mutate({
        workspaceId,
        name: "Owner's pick",
        shared: false,
        filters: { search: "abe" },
        sort: "name",
        columns: ["name"],
      });
      const ownerPage = await openPage(run.browser, run.app.url);
      await ownerPage.page.goto("/");
      await signIn(ownerPage.page, owner.email, owner.password);
      await ownerPage.page.goto(`/w/${workspaceId}/contacts`);
      await ownerPage.page.getByText("Views", { exact: true }).click();
      const ownerList = ownerPage.page.getByRole("list", { name: "Saved views" });
      await ownerList.getByRole("button", { name: "Share the view Owner's pick with the workspace" }).click();
      await ownerPage.page.getByText("Shared the view “Owner's pick” with the workspace.").waitFor();
      await ownerList.getByRole("button", { name: "Unshare the view Owner's pick" }).waitFor();

      const memberPage = await openPage(run.browser, run.app.url);
      await memberPage.page.goto("/");
      await signIn(memberPage.page, member.email, member.password);
      await memberPage.page.goto(`/w/${workspaceId}/contacts`);
      await memberPage.page.getByText("Views", { exact: true }).click();
      const memberList = memberPage.page.getByRole("list", { name: "Saved views" });
      await memberList.getByRole("button", { name: "Owner's pick", exact: true }).waitFor();
      // Only the owner may change a view: the member gets no controls for it.
      for (const control of ["Rename the view", "Unshare the view", "Share the view", "Delete the view"])
        await expect(
          memberList.getByRole("button", { name: new RegExp(`^${control} Owner's pick`) }).count(),
        ).resolves.toBe(0);

      await ownerList.getByRole("button", { name: "Unshare the view Owner's pick" }).click();
      await ownerPage.page.getByText("The view “Owner's pick” is now private.").waitFor();
      await ownerPage.page.reload();
      await ownerPage.page.getByText("Views", { exact: true }).click();
      await ownerList.getByRole("button", { name: "Share the view Owner's pick with the workspace" }).waitFor();
      await memberPage.page.reload();
      await memberPage.page.getByText("Views", { exact: true }).click();
      await memberList.getByRole("button", { name: "Acme people", exact: true }).waitFor();
      await expect(memberList.getByRole("button", { name: "Owner's pick", exact: true }).count()).resolves.toBe(0);

      // The member's shared view: the owner (an admin and more) may delete it, not change it.
      await member.client.views.create.mutate({
        workspaceId,
        name: "Member's list",
        shared: true,
        filters: { company: "Globex" },
        sort: "name",
        columns: ["name"],
      });
      await ownerPage.page.reload();
      await ownerPage.page.getByText("Views", { exact: true }).click();
      await ownerList.getByRole("button", { name: "Member's list", exact: true }).waitFor();
      for (const control of ["Rename the view", "Unshare the view"])
        await expect(
          ownerList.getByRole("button", { name: new RegExp(`^${control} Member's list`) }).count(),
        ).resolves.toBe(0);
      await ownerList.getByRole("button", { name: "Delete the view Member's list" }).click();
      await ownerPage.page.getByText("Deleted the view “Member's list”.").waitFor();
      await ownerList.getByRole("button", { name: "Member's list", exact: true }).waitFor({ state: "detached" });
      expect((await member.client.views.list.query({ workspaceId })).map((v) => v.name)).not.toContain("Member's list");
      expect(ownerPage.record.errors).toEqual([]);
      expect(memberPage.record.errors).toEqual([]);
      await ownerPage.context.close();
      await memberPage.context.close();
    });
  });
});
