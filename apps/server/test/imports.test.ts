/**
 * Contact import from CSV and XLSX on Postgres and PGlite: upload through the plain route
 * (authorized like the procedures), the mapping guessed from headers and kept as a template,
 * the preview checked cell by cell, a file of mixed good and bad rows in both modes (skip and
 * report, or import nothing), existing contacts filled, overwritten or skipped, the report,
 * rows that look like existing contacts flagged in the preview and the report.
 */
import type { ManualClock } from "@rapport/api";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp, type TestDriver } from "./support/app";
import { until } from "./support/until";

const drivers: TestDriver[] = ["postgres", "pglite"];

/** Row numbers as a spreadsheet counts them (header = 1). */
const MIXED = [
  "Full Name,E-mail,Organization,Tags,Notes",
  "Ana Lima,ana@import.example,Acme,vip; lead,first", // 2: new
  "Ben Okafor,not-an-email,Acme,,", // 3: bad email
  ",nobody@import.example,,,", // 4: no name
  "Cara Diaz,cara@import.example,,partner,", // 5: new
  "Ana Again,ANA@import.example,,,", // 6: duplicates row 2's email
  "Dev Existing,dev@import.example,NewCo,,", // 7: exists (company empty → filled)
  "Eve No Email,,Globex,,", // 8: new, no email
].join("\r\n");

describe.each(drivers)("contact import on %s", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let outsider: SignedInUser;
  let workspaceId: string;
  let devId: string;

  beforeAll(async () => {
    app = await createTestApp({ driver });
    [owner, outsider] = await Promise.all([app.signUp("Owner"), app.signUp("Outsider")]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: `Import on ${driver}` })).id;
    devId = (
      await owner.client.contacts.create.mutate({
        workspaceId,
        name: "Dev Existing",
        email: "dev@import.example",
        title: "CTO",
      })
    ).id;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  const upload = async (
    body: string | Buffer,
    format: "csv" | "xlsx" = "csv",
    as: SignedInUser | null = owner,
    ws = workspaceId,
  ) =>
    fetch(`${app.url}/api/imports/upload?workspaceId=${ws}&format=${format}`, {
      method: "POST",
      headers: as ? { authorization: `Bearer ${as.accessToken}` } : {},
      body,
    });

  const uploaded = async (body: string | Buffer, format: "csv" | "xlsx" = "csv") => {
    const response = await upload(body, format);
    expect(response.status).toBe(201);
    return ((await response.json()) as { importId: string }).importId;
  };

  const finished = (importId: string) =>
    until(`import ${importId}`, async () => {
      const state = await owner.client.imports.get.query({ workspaceId, importId });
      return state.status === "completed" || state.status === "failed" ? state : null;
    });

  const contactsByEmail = async () =>
    Object.fromEntries(
      (
        await app.query<{ email: string | null; name: string; company: string | null; tags: string[] }>`
          SELECT email, name, company, tags FROM contacts WHERE workspace_id = ${workspaceId} AND deleted_at IS NULL`
      ).map((row) => [row.email ?? row.name, row]),
    );

  it("refuses uploads without a token or from a non-member, like the procedures", async () => {
    expect((await upload(MIXED, "csv", null)).status).toBe(401);
    const foreign = await upload(MIXED, "csv", outsider);
    expect(foreign.status).toBe(404);
    expect((await upload("", "csv")).status).toBe(400);
    const badQuery = await fetch(`${app.url}/api/imports/upload?workspaceId=${workspaceId}&format=ods`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner.accessToken}` },
      body: MIXED,
    });
    expect(badQuery.status).toBe(400);
  });

  it("guesses the mapping from the headers and checks the first rows cell by cell", async () => {
    const importId = await uploaded(MIXED);
    const preview = await owner.client.imports.preview.query({ workspaceId, importId });
    expect(preview.headers).toEqual(["Full Name", "E-mail", "Organization", "Tags", "Notes"]);
    expect(preview.mapping).toEqual(["name", "email", "company", "tags", null]);
    expect(preview.rows[0]!.cells.map((cell) => cell.problem)).toEqual([null, null, null, null, null]);
    expect(preview.rows[1]!.cells[1]).toEqual({ value: "not-an-email", problem: "must be a valid email address" });
    expect(preview.rows[2]!.cells[0]!.problem).toBe("must not be empty");
    // An outsider learns nothing about the upload.
    expect((await errorOf(outsider.client.imports.preview.query({ workspaceId, importId }))).code).toBe("NOT_FOUND");
    // A bad mapping is refused before anything runs.
    const bad = await errorOf(
      owner.client.imports.start.mutate({
        workspaceId,
        importId,
        mapping: [null, "email", null, null, null],
        badRows: "skip",
        existing: "fill",
      }),
    );
    expect(bad.code).toBe("BAD_REQUEST");
  });

  it("'import nothing' refuses a file with bad rows, names each, and writes no contact", async () => {
    const before = await contactsByEmail();
    const importId = await uploaded(MIXED);
    const { jobId } = await owner.client.imports.start.mutate({
      workspaceId,
      importId,
      mapping: ["name", "email", "company", "tags", null],
      badRows: "abort",
      existing: "fill",
    });
    const done = await finished(importId);
    expect(done.status).toBe("failed");
    expect(done.error).toBe("3 row(s) have problems; nothing was imported.");
    expect(done.created).toBe(0);
    expect(done.problems.map((p) => [p.row, p.field])).toEqual([
      [3, "email"],
      [4, "name"],
      [6, "email"],
    ]);
    expect(await contactsByEmail()).toEqual(before);
    const progress = await owner.client.jobs.get.query({ jobId });
    expect(progress.state).toBe("failed");
  });

  it("'skip and report' imports the good rows, fills the existing contact's empty fields and reports the rest", async () => {
    const importId = await uploaded(MIXED);
    await owner.client.imports.start.mutate({
      workspaceId,
      importId,
      mapping: ["name", "email", "company", "tags", null],
      badRows: "skip",
      existing: "fill",
    });
    const done = await finished(importId);
    expect(done).toMatchObject({ status: "completed", totalRows: 7, created: 3, updated: 1, skipped: 3 });
    const contacts = await contactsByEmail();
    expect(contacts["ana@import.example"]).toMatchObject({ name: "Ana Lima", company: "Acme", tags: ["lead", "vip"] });
    expect(contacts["cara@import.example"]).toMatchObject({ tags: ["partner"] });
    expect(contacts["Eve No Email"]).toMatchObject({ company: "Globex" });
    // Filled where empty (company), kept where set (name, title).
    expect(contacts["dev@import.example"]).toMatchObject({ name: "Dev Existing", company: "NewCo" });
    expect(contacts["nobody@import.example"]).toBeUndefined();
    const [dev] = await app.query<{ title: string }>`SELECT title FROM contacts WHERE id = ${devId}`;
    expect(dev!.title).toBe("CTO");

    const report = await fetch(`${app.url}/api/imports/report?workspaceId=${workspaceId}&importId=${importId}`, {
      headers: { authorization: `Bearer ${owner.accessToken}` },
    });
    expect(report.status).toBe(200);
    expect(report.headers.get("content-type")).toContain("text/csv");
    expect((await report.text()).trim().split("\r\n")).toEqual([
      "row,outcome,field,problem,existing_contact_id",
      "3,skipped,email,must be a valid email address,",
      "4,skipped,name,must not be empty,",
      "6,skipped,email,duplicates the email of row 2,",
    ]);
    const foreign = await fetch(`${app.url}/api/imports/report?workspaceId=${workspaceId}&importId=${importId}`, {
      headers: { authorization: `Bearer ${outsider.accessToken}` },
    });
    expect(foreign.status).toBe(404);
    // The same upload cannot run twice.
    expect(
      (
        await errorOf(
          owner.client.imports.start.mutate({
            workspaceId,
            importId,
            mapping: ["name", "email", "company", "tags", null],
            badRows: "skip",
            existing: "fill",
          }),
        )
      ).code,
    ).toBe("CONFLICT");
  });

  it("skips or overwrites existing contacts as chosen, from an XLSX file", async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("People");
    sheet.addRow(["Email", "First name", "Last name", "Company"]);
    sheet.addRow(["cara@import.example", "Cara", "Díaz-Holt", "Initech"]);
    sheet.addRow(["fay@import.example", "Fay", "Wong", 42]);
    const file = Buffer.from(await workbook.xlsx.writeBuffer());

    const skipId = await uploaded(file, "xlsx");
    const preview = await owner.client.imports.preview.query({ workspaceId, importId: skipId });
    expect(preview.mapping).toEqual(["email", "firstName", "lastName", "company"]);
    await owner.client.imports.start.mutate({
      workspaceId,
      importId: skipId,
      mapping: preview.mapping,
      badRows: "skip",
      existing: "skip",
    });
    const skipped = await finished(skipId);
    expect(skipped.error).toBeNull();
    expect(skipped).toMatchObject({ status: "completed", created: 1, updated: 0, skipped: 1 });
    expect(skipped.problems[0]).toMatchObject({ row: 2, field: "email" });
    expect(skipped.problems[0]!.contactId).toBeTruthy();
    expect((await contactsByEmail())["fay@import.example"]).toMatchObject({ name: "Fay Wong", company: "42" });

    const overwriteId = await uploaded(file, "xlsx");
    await owner.client.imports.start.mutate({
      workspaceId,
      importId: overwriteId,
      mapping: preview.mapping,
      badRows: "skip",
      existing: "overwrite",
    });
    expect(await finished(overwriteId)).toMatchObject({ status: "completed", created: 0, updated: 1, unchanged: 1 });
    expect((await contactsByEmail())["cara@import.example"]).toMatchObject({
      name: "Cara Díaz-Holt",
      company: "Initech",
      tags: ["partner"],
    });
  });

  it("flags rows that look like existing contacts (same number, similar name at the same company) and imports them", async () => {
    const ivan = await owner.client.contacts.create.mutate({
      workspaceId,
      name: "Ivan Petrov",
      company: "Stark Industries",
    });
    const hana = await owner.client.contacts.create.mutate({
      workspaceId,
      name: "Hana Sato",
      email: "hana@flag.example",
      phone: "+44 20 7946 0958",
    });
    // The run compares rows with the contacts created before it started.
    (app.clock as ManualClock).advance(1_000);
    const file = [
      "Name,Email,Company,Phone",
      "Ivan Petrow,ivan.p@flag.example,Stark Industries,", // 2: similar name at the same company
      "H. Sato,sato@flag.example,,+442079460958", // 3: the same number, written otherwise
      "Zed Other,zed@flag.example,Stark Industries,", // 4: same company, another person
      "Hana S.,hana@flag.example,,+44 20 7946 0958", // 5: same email: an update, not a possible duplicate
    ].join("\n");
    const importId = await uploaded(file);
    const preview = await owner.client.imports.preview.query({ workspaceId, importId });
    expect(preview.rows.map((row) => row.possibleDuplicate?.contactId ?? null)).toEqual([ivan.id, hana.id, null, null]);
    expect(preview.rows[0]!.possibleDuplicate).toMatchObject({
      name: "Ivan Petrov",
      company: "Stark Industries",
      reasons: ["name"],
    });
    expect(preview.rows[1]!.possibleDuplicate!.reasons).toEqual(["phone"]);

    await owner.client.imports.start.mutate({
      workspaceId,
      importId,
      mapping: preview.mapping,
      badRows: "skip",
      existing: "fill",
    });
    const done = await finished(importId);
    expect(done).toMatchObject({ status: "completed", created: 3, updated: 0, unchanged: 1, skipped: 0, flagged: 2 });
    expect(done.problems.map((p) => [p.row, p.outcome, p.field, p.contactId])).toEqual([
      [2, "flagged", "name", ivan.id],
      [3, "flagged", "phone", hana.id],
    ]);
    const report = await fetch(`${app.url}/api/imports/report?workspaceId=${workspaceId}&importId=${importId}`, {
      headers: { authorization: `Bearer ${owner.accessToken}` },
    });
    expect((await report.text()).trim().split("\r\n")).toEqual([
      "row,outcome,field,problem,existing_contact_id",
      `2,flagged,name,imported; possibly the same person as an existing contact (a similar name at the same company),${ivan.id}`,
      `3,flagged,phone,imported; possibly the same person as an existing contact (the same phone number),${hana.id}`,
    ]);
    // The contacts are there, and the workspace's duplicates scan proposes the pairs.
    const { jobId } = await owner.client.duplicates.scan.mutate({ workspaceId });
    await until("the duplicates scan", async () => {
      const progress = await owner.client.jobs.get.query({ jobId });
      return progress.state === "completed" ? progress : null;
    });
    const pairs = (await owner.client.duplicates.list.query({ workspaceId })).items.map((item) =>
      item.contacts.map((c) => c.name).sort(),
    );
    expect(pairs).toEqual(
      expect.arrayContaining([
        ["Ivan Petrov", "Ivan Petrow"],
        ["H. Sato", "Hana Sato"],
      ]),
    );
  });

  it("flags a row whose address reaches an existing contact's mailbox (the duplicates module's rule)", async () => {
    const ana = await owner.client.contacts.create.mutate({
      workspaceId,
      name: "Ana Lima",
      email: "ana.lima@gmail.com",
    });
    (app.clock as ManualClock).advance(1_000);
    const importId = await uploaded(
      ["Name,Email", "A. Lima,analima+x@gmail.com", "Other Ana,ana.lima@example.org"].join("\n"),
    );
    const preview = await owner.client.imports.preview.query({ workspaceId, importId });
    expect(preview.rows.map((row) => row.possibleDuplicate?.contactId ?? null)).toEqual([ana.id, null]);
    expect(preview.rows[0]!.possibleDuplicate!.reasons).toEqual(["email"]);
    await owner.client.imports.start.mutate({
      workspaceId,
      importId,
      mapping: preview.mapping,
      badRows: "skip",
      existing: "fill",
    });
    const done = await finished(importId);
    expect(done).toMatchObject({ status: "completed", created: 2, flagged: 1 });
    expect(done.problems.map((p) => [p.row, p.outcome, p.field, p.contactId])).toEqual([
      [2, "flagged", "email", ana.id],
    ]);
  });

  it("keeps a mapping as a template that maps another file with the same headers", async () => {
    const file = "Who,Mail,Firm\nGus,gus@import.example,Hooli\n";
    const importId = await uploaded(file);
    const guessed = await owner.client.imports.preview.query({ workspaceId, importId });
    expect(guessed.mapping).toEqual([null, "email", null]);
    const template = await owner.client.imports.saveTemplate.mutate({
      workspaceId,
      name: "Partner list",
      headers: guessed.headers,
      mapping: ["name", "email", "company"],
    });
    const templates = await owner.client.imports.templates.query({ workspaceId });
    expect(templates.map((t) => t.name)).toEqual(["Partner list"]);
    const mapped = await owner.client.imports.preview.query({ workspaceId, importId, templateId: template.id });
    expect(mapped.mapping).toEqual(["name", "email", "company"]);
    expect((await errorOf(outsider.client.imports.templates.query({ workspaceId }))).code).toBe("NOT_FOUND");
    await owner.client.imports.deleteTemplate.mutate({ workspaceId, templateId: template.id });
    expect(await owner.client.imports.templates.query({ workspaceId })).toEqual([]);
  });
});
