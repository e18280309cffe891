/**
 * A workspace's settings on Postgres and PGlite: owners and admins rename it and choose the
 * country its phone numbers without a country code are read in; the change is one event and
 * one audit entry naming the fields; a number written nationally then matches the same number
 * written internationally in the contact form's check, the duplicates scan and an import's preview.
 */
import { ManualClock } from "@rapport/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, createTestApp, errorOf, type SignedInUser, type TestApp, type TestDriver } from "./support/app";
import { joinWorkspace } from "./support/members";
import { until } from "./support/until";

const drivers: TestDriver[] = ["postgres", "pglite"];

describe.each(drivers)("workspace settings on %s", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let admin: SignedInUser;
  let member: SignedInUser;
  let workspaceId: string;
  let berlinId: string;
  const clock = new ManualClock(new Date());

  beforeAll(async () => {
    app = await createTestApp({ driver, clock });
    [owner, admin, member] = await Promise.all([app.signUp("Owner"), app.signUp("Admin"), app.signUp("Member")]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Settngs" })).id;
    await joinWorkspace(owner, workspaceId, admin, "admin");
    await joinWorkspace(owner, workspaceId, member);
    berlinId = (
      await owner.client.contacts.create.mutate({ workspaceId, name: "Jens Berlin", phone: "+49 30 1234567" })
    ).id;
  }, 120_000);
  afterAll(() => app?.close());

  const events = async () =>
    (await owner.client.activity.list.query({ workspaceId, types: ["workspace.updated"] })).items.map(
      (event) => event.payload,
    );
  const mine = async (user: SignedInUser) =>
    (await user.client.workspaces.list.query()).find((workspace) => workspace.id === workspaceId);

  it("an owner renames the workspace: every member's list has the new name; one event and one audit entry name the field", async () => {
    expect(await owner.client.workspaces.update.mutate({ workspaceId, name: "Settings" })).toEqual({
      id: workspaceId,
      name: "Settings",
      phoneCountry: null,
    });
    expect(await mine(member)).toMatchObject({ name: "Settings", phoneCountry: null, role: "member" });
    expect(await events()).toEqual([{ workspaceId, fields: ["name"] }]);
    const audit = await owner.client.audit.list.query({ workspaceId, action: "workspace.updated" });
    expect(audit.items.map((entry) => [entry.actorId, entry.metadata])).toEqual([[owner.userId, { fields: ["name"] }]]);

    // The same values again change nothing: no event, no audit entry.
    await owner.client.workspaces.update.mutate({ workspaceId, name: "Settings", phoneCountry: null });
    expect(await events()).toHaveLength(1);
  });

  it("admins may change the settings, members may not; bad values are refused with the field named", async () => {
    expect(await codeOf(member.client.workspaces.update.mutate({ workspaceId, name: "Mine now" }))).toBe("FORBIDDEN");
    expect((await mine(owner))?.name).toBe("Settings");

    for (const [input, field] of [
      [{ workspaceId, phoneCountry: "de" }, "phoneCountry"],
      [{ workspaceId, phoneCountry: "ZZ" }, "phoneCountry"],
      [{ workspaceId, name: "   " }, "name"],
      [{ workspaceId, name: "x".repeat(101) }, "name"],
    ] as const) {
      const error = await errorOf(admin.client.workspaces.update.mutate(input));
      expect(error.code, JSON.stringify(input)).toBe("BAD_REQUEST");
      // Named as the form reads it: zod's issue paths, or a domain error's path.
      const named = error.data.zodIssues
        ? (error.data.zodIssues as { path: string[] }[]).map((issue) => issue.path[0])
        : error.data.details?.path;
      expect(named, JSON.stringify(input)).toEqual([field]);
    }
    expect(await codeOf(admin.client.workspaces.update.mutate({ workspaceId }))).toBe("BAD_REQUEST");
    expect(await events()).toHaveLength(1);

    const countries = await member.client.workspaces.phoneCountries.query();
    expect(countries).toContainEqual({ code: "DE", callingCode: "49" });
    expect(countries.length).toBeGreaterThan(200);
  });

  it("with a phone country, a number written nationally is the same number written internationally: form check, scan, import preview", async () => {
    const check = () => owner.client.duplicates.check.query({ workspaceId, name: "J. B.", phone: "030 1234567" });
    expect((await check()).matches).toEqual([]);

    await admin.client.workspaces.update.mutate({ workspaceId, phoneCountry: "DE" });
    expect(await mine(owner)).toMatchObject({ phoneCountry: "DE" });
    expect((await events()).at(0)).toEqual({ workspaceId, fields: ["phoneCountry"] });

    const { matches } = await check();
    expect(matches.map((match) => [match.id, match.reasons])).toEqual([[berlinId, [{ kind: "phone" }]]]);

    const localId = (await owner.client.contacts.create.mutate({ workspaceId, name: "Jens B.", phone: "030 1234567" }))
      .id;
    const { jobId } = await owner.client.duplicates.scan.mutate({ workspaceId });
    await until("the scan", async () => {
      const job = await owner.client.jobs.get.query({ jobId });
      if (job.state === "failed") throw new Error(job.error ?? "scan failed");
      return job.state === "completed" ? job : null;
    });
    const pairs = (await owner.client.duplicates.list.query({ workspaceId })).items;
    expect(pairs.map((pair) => pair.contacts.map((contact) => contact.id).sort())).toEqual([
      [berlinId, localId].sort(),
    ]);

    // An import compares its rows with the contacts created before it.
    clock.advance(1_000);
    const upload = await fetch(`${app.url}/api/imports/upload?workspaceId=${workspaceId}&format=csv`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner.accessToken}` },
      body: "Name,Phone\nJens Import,(030) 123 45 67\n",
    });
    expect(upload.status).toBe(201);
    const { importId } = (await upload.json()) as { importId: string };
    const preview = await owner.client.imports.preview.query({ workspaceId, importId });
    expect(preview.rows[0]!.possibleDuplicate?.reasons).toEqual(["phone"]);
    expect([berlinId, localId]).toContain(preview.rows[0]!.possibleDuplicate?.contactId);

    // Taken away again: national numbers match only numbers written alike.
    await owner.client.workspaces.update.mutate({ workspaceId, phoneCountry: null });
    expect((await check()).matches.map((match) => match.id)).toEqual([localId]);
  });
});
