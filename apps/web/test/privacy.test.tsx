/**
 * GDPR: the Privacy page (/privacy). The delete-account form is gated
 * by typing DELETE and shows the server's answers; "Download my data" follows
 * the export's progress to a Download button and fetches the file with the
 * access token. Only fetch is faked (support/fake-server.ts).
 */
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { domainError, type ProcedureHandler } from "./support/fake-server";
import { contact, USER, WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";
import type { RouterOutputs } from "../src/trpc";
import { useFakeTimersFollowingRealTime } from "./support/timers";

const DAY = 86_400_000;
const EXPORT_ID = "33333333-3333-4333-8333-333333333333";
const DELETION_ID = "44444444-4444-4444-8444-444444444444";

type Operation = RouterOutputs["gdpr"]["operations"][number];

function deletionOperation(status: Operation["status"], requestedAt: Date): Operation {
  return {
    id: DELETION_ID,
    workspaceId: null,
    type: "user_deletion",
    subjectKind: "user",
    subjectId: USER.id,
    reason: "Leaving the company",
    status,
    requestedBy: USER.id,
    authorizedBy: USER.id,
    requestedAt,
    dueAt: new Date(requestedAt.getTime() + 30 * DAY),
    effectiveAt: new Date(requestedAt.getTime() + 30 * DAY),
    completedAt: status === "cancelled" ? new Date() : null,
    updatedAt: requestedAt,
    overdue: false,
  };
}

/** What every /privacy render needs besides the handlers a test adds. */
function privacyHandlers(extra: Record<string, ProcedureHandler> = {}): Record<string, ProcedureHandler> {
  return {
    "gdpr.restrictionStatus": () => ({ restricted: false, restrictions: [] }),
    "gdpr.myOperations": () => [],
    ...extra,
  };
}

function exportStatus(
  status: "pending" | "in_progress" | "completed" | "failed" | "discarded",
  progress: number,
  extra: Record<string, unknown> = {},
) {
  return {
    exportId: EXPORT_ID,
    subjectKind: "user" as const,
    status,
    progress,
    createdAt: new Date("2026-03-02T10:00:00Z"),
    completedAt: status === "completed" ? new Date("2026-03-02T10:00:05Z") : null,
    ...extra,
  };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("Delete my account", () => {
  it("stays disabled until DELETE is typed, schedules with reason and password, shows the date and cancels", async () => {
    let operations: Operation[] = [];
    const { server, user } = await renderApp({
      path: "/privacy",
      handlers: privacyHandlers({
        "gdpr.myOperations": () => operations,
        "gdpr.requestDeletion": () => {
          const requestedAt = new Date();
          operations = [deletionOperation("pending", requestedAt)];
          return {
            deletionId: DELETION_ID,
            status: "scheduled",
            effectiveAt: operations[0]!.effectiveAt,
            warning:
              "Your account and personal data will be erased irreversibly on 2026-04-01. You can cancel until then.",
          };
        },
        "gdpr.cancelDeletion": () => {
          operations = [deletionOperation("cancelled", operations[0]!.requestedAt)];
          return { deletionId: DELETION_ID, status: "cancelled" };
        },
      }),
    });

    expect(await screen.findByRole("heading", { level: 1, name: "Privacy" })).toBeInTheDocument();
    const section = screen.getByRole("region", { name: "Delete my account" });
    const submit = await within(section).findByRole("button", { name: "Schedule account deletion" });
    expect(submit).toBeDisabled();

    await user.type(within(section).getByLabelText("Reason"), "Leaving the company");
    await user.type(within(section).getByLabelText("Password"), "correct horse");
    expect(submit).toBeDisabled();

    // Not the word, not in capitals, not half of it: still locked.
    const confirmation = within(section).getByLabelText("Type DELETE to confirm");
    await user.type(confirmation, "delete");
    expect(submit).toBeDisabled();
    await user.clear(confirmation);
    await user.type(confirmation, "DELE");
    expect(submit).toBeDisabled();
    // Enter in a field does not get around the gate either.
    await user.type(confirmation, "{Enter}");
    expect(server.callsTo("gdpr.requestDeletion")).toHaveLength(0);

    await user.type(confirmation, "TE");
    expect(submit).toBeEnabled();
    await user.click(submit);

    // Scheduled: the date, the server's warning and "Cancel deletion" replace the form.
    const scheduled = await within(section).findByText(/Your account will be deleted on/);
    expect(scheduled).toHaveTextContent(/\(in 30 days\)/);
    expect(within(section).getByText(/erased irreversibly on 2026-04-01/)).toBeInTheDocument();
    expect(server.callsTo("gdpr.requestDeletion")[0]!.input).toEqual({
      reason: "Leaving the company",
      password: "correct horse",
    });
    expect(within(section).queryByRole("button", { name: "Schedule account deletion" })).toBeNull();

    // The request is in the history, as scheduled, with its due date.
    const history = screen.getByRole("table", { name: "My privacy requests" });
    await waitFor(() => expect(within(history).getByText("Account deletion")).toBeInTheDocument());
    expect(within(history).getByText("Scheduled")).toBeInTheDocument();

    await user.click(within(section).getByRole("button", { name: "Cancel deletion" }));
    expect(await within(section).findByText("Deletion cancelled. Your account stays as it is.")).toBeInTheDocument();
    expect(within(section).getByRole("button", { name: "Schedule account deletion" })).toBeDisabled();
    await waitFor(() =>
      expect(
        within(screen.getByRole("table", { name: "My privacy requests" })).getByText("Cancelled"),
      ).toBeInTheDocument(),
    );
    expect(server.unhandled).toEqual([]);
  });

  it("checks reason and password with the server's schema: blanks show on their fields and nothing is sent", async () => {
    const { server, user } = await renderApp({ path: "/privacy", handlers: privacyHandlers() });
    const section = await screen.findByRole("region", { name: "Delete my account" });
    const reason = await within(section).findByLabelText("Reason");
    const password = within(section).getByLabelText("Password");
    await user.type(reason, "   ");
    await user.type(within(section).getByLabelText("Type DELETE to confirm"), "DELETE");
    await user.click(within(section).getByRole("button", { name: "Schedule account deletion" }));

    expect(await within(section).findAllByText("must not be empty")).toHaveLength(2);
    expect(reason).toHaveAttribute("aria-invalid", "true");
    expect(reason).toHaveAccessibleDescription(expect.stringContaining("must not be empty"));
    expect(password).toHaveAccessibleDescription(expect.stringContaining("must not be empty"));
    // The first field in error has the keyboard.
    expect(reason).toHaveFocus();
    expect(server.callsTo("gdpr.requestDeletion")).toHaveLength(0);
  });

  it("shows a wrong password at the field and the sole-owner conflict with both ways out", async () => {
    const { server, user } = await renderApp({
      path: "/privacy",
      handlers: privacyHandlers({
        "gdpr.requestDeletion": (input: { password: string }) => {
          if (input.password !== "right") throw domainError("FORBIDDEN", "Password is incorrect.");
          throw domainError(
            "CONFLICT",
            "You are the sole owner of a workspace; transfer ownership to another member or delete the workspace before deleting your account.",
            {
              workspaceIds: [WORKSPACE_ID],
              workspaces: [{ id: WORKSPACE_ID, name: "Acme Sales", members: 3, deletionScheduledAt: null }],
              waysOut: ["transfer_ownership", "delete_workspace"],
            },
          );
        },
      }),
    });
    const section = await screen.findByRole("region", { name: "Delete my account" });
    await user.type(await within(section).findByLabelText("Reason"), "Done with it");
    await user.type(within(section).getByLabelText("Password"), "wrong");
    await user.type(within(section).getByLabelText("Type DELETE to confirm"), "DELETE");
    await user.click(within(section).getByRole("button", { name: "Schedule account deletion" }));

    const password = within(section).getByLabelText("Password");
    await waitFor(() => expect(password).toHaveAttribute("aria-invalid", "true"));
    expect(password).toHaveAccessibleDescription(expect.stringContaining("Password is incorrect."));
    // Not a banner (and not "ask an owner or admin").
    expect(within(section).queryByRole("alert")).toBeNull();

    await user.clear(password);
    await user.type(password, "right");
    await user.click(within(section).getByRole("button", { name: "Schedule account deletion" }));
    const alert = await within(section).findByRole("alert");
    expect(alert).toHaveTextContent("Could not schedule the deletion: You are the sole owner of a workspace");
    expect(within(alert).getByRole("link", { name: "Transfer ownership of Acme Sales" })).toHaveAttribute(
      "href",
      `/w/${WORKSPACE_ID}/members#transfer-ownership`,
    );
    expect(within(alert).getByRole("link", { name: "Delete workspace Acme Sales" })).toHaveAttribute(
      "href",
      `/w/${WORKSPACE_ID}/members#delete-workspace`,
    );
    expect(password).not.toHaveAttribute("aria-invalid");
    expect(server.callsTo("gdpr.requestDeletion")).toHaveLength(2);
  });
});

describe("Download my data", () => {
  it("requests the chosen sections, follows the progress bar to 100 %, then downloads the ZIP with the access token", async () => {
    useFakeTimersFollowingRealTime();
    const { server, user } = await renderApp({
      path: "/privacy",
      handlers: privacyHandlers({
        "gdpr.requestExport": () => exportStatus("pending", 0),
        "gdpr.exportStatus": (_input, { call }) =>
          call === 1
            ? exportStatus("in_progress", 30)
            : call === 2
              ? exportStatus("in_progress", 70)
              : exportStatus("completed", 100, {
                  downloadUrl: `/api/gdpr/export/download?token=signed.token`,
                  expiresAt: new Date("2026-03-09T10:00:05Z"),
                  fileSizeBytes: 12_400,
                }),
      }),
    });

    // The download route wants the Bearer token as well as the signed link.
    const serve = server.fetch;
    const downloads: { url: string; authorization: string | null }[] = [];
    vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (!url.startsWith("/api/gdpr/export/download")) return serve(input, init);
      downloads.push({ url, authorization: new Headers(init?.headers).get("authorization") });
      return new Response(new Uint8Array([0x50, 0x4b, 0x03, 0x04]), {
        headers: {
          "content-type": "application/zip",
          "content-disposition": 'attachment; filename="rapport-user-data-2026-03-02.zip"',
        },
      });
    });
    const createObjectURL = vi.fn((_blob: Blob) => "blob:export");
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    const saved: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(`${this.download} ${this.getAttribute("href")}`);
    });

    const section = await screen.findByRole("region", { name: "Download my data" });
    const include = within(section).getByRole("group", { name: "Include" });
    expect(within(include).getByRole("checkbox", { name: /^Profile/ })).toBeDisabled();
    expect(within(include).getByRole("checkbox", { name: /^Profile/ })).toBeChecked();
    await user.click(within(include).getByRole("checkbox", { name: /^Security log/ }));
    await user.click(within(section).getByRole("button", { name: "Request my data" }));

    const bar = await within(section).findByRole("progressbar", { name: "Export progress" });
    expect(bar).toHaveAttribute("aria-valuemin", "0");
    expect(bar).toHaveAttribute("aria-valuemax", "100");
    // Polled once a second: 30 %, 70 %, then done.
    const seen = new Set<string>();
    await waitFor(
      () => {
        seen.add(bar.getAttribute("aria-valuenow")!);
        expect(bar).toHaveAttribute("aria-valuenow", "100");
      },
      { interval: 50, timeout: 8_000 },
    );
    expect(seen).toContain("70");
    expect(server.callsTo("gdpr.requestExport")[0]!.input).toEqual({
      include: ["profile", "contacts", "interactions", "preferences", "activity"],
    });
    expect(server.callsTo("gdpr.exportStatus").every((call) => call.input.exportId === EXPORT_ID)).toBe(true);

    expect(within(section).getByText("The export is ready to download.")).toBeInTheDocument();
    const download = within(section).getByRole("button", { name: "Download ZIP (12.1 KB)" });
    expect(within(section).getByText(/Available until/)).toHaveTextContent(/Mar \d+, 2026/);
    // No more polling once completed.
    const polls = server.callsTo("gdpr.exportStatus").length;

    await user.click(download);
    expect(await within(section).findByText("Saved rapport-user-data-2026-03-02.zip.")).toBeInTheDocument();
    expect(downloads).toHaveLength(1);
    expect(downloads[0]!.url).toBe("/api/gdpr/export/download?token=signed.token");
    expect(downloads[0]!.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(saved).toEqual(["rapport-user-data-2026-03-02.zip blob:export"]);
    expect(createObjectURL.mock.calls[0]![0]).toMatchObject({ size: 4, type: "application/zip" });

    // A new export can be requested; the old one is not polled again.
    expect(within(section).getByRole("button", { name: "Request a new export" })).toBeEnabled();
    await vi.advanceTimersByTimeAsync(1_200);
    expect(server.callsTo("gdpr.exportStatus")).toHaveLength(polls);
    expect(server.unhandled).toEqual([]);
  });

  it("an export withdrawn because someone it held was erased says why, offers no download, and can be requested again", async () => {
    useFakeTimersFollowingRealTime();
    let exportCalls = 0;
    const { server, user } = await renderApp({
      path: "/privacy",
      handlers: privacyHandlers({
        "gdpr.requestExport": () => {
          exportCalls++;
          return exportStatus("pending", 0, { exportId: exportCalls === 1 ? EXPORT_ID : DELETION_ID });
        },
        "gdpr.exportStatus": (input: { exportId: string }) =>
          input.exportId === EXPORT_ID
            ? exportStatus("discarded", 100, { discardReason: "subject_erased" })
            : exportStatus("pending", 0, { exportId: DELETION_ID }),
      }),
    });
    const section = await screen.findByRole("region", { name: "Download my data" });
    await user.click(within(section).getByRole("button", { name: "Request my data" }));
    const notice = await within(section).findByRole("alert");
    expect(notice).toHaveTextContent("This export was withdrawn.");
    expect(notice).toHaveTextContent("Someone whose data it held was erased (GDPR Art. 17)");
    expect(within(section).queryByRole("button", { name: /Download ZIP/ })).toBeNull();
    // Finished: no more polling of the withdrawn export.
    const polls = server.callsTo("gdpr.exportStatus").length;
    await vi.advanceTimersByTimeAsync(1_200);
    expect(server.callsTo("gdpr.exportStatus").length).toBe(polls);
    await user.click(within(notice).getByRole("button", { name: "Request a new export" }));
    await waitFor(() => expect(server.callsTo("gdpr.requestExport")).toHaveLength(2));
  });

  it("a failed export says so and Try again starts a new one; a download the server refuses shows its message", async () => {
    let exportCalls = 0;
    const { server, user } = await renderApp({
      path: "/privacy",
      handlers: privacyHandlers({
        "gdpr.requestExport": () => {
          exportCalls++;
          return exportStatus("pending", 0, { exportId: exportCalls === 1 ? EXPORT_ID : DELETION_ID });
        },
        "gdpr.exportStatus": (input: { exportId: string }) =>
          input.exportId === EXPORT_ID
            ? exportStatus("failed", 40)
            : exportStatus("completed", 100, {
                exportId: DELETION_ID,
                downloadUrl: "/api/gdpr/export/download?token=t",
                expiresAt: new Date(Date.now() + 7 * DAY),
                fileSizeBytes: 900,
              }),
      }),
    });
    const serve = server.fetch;
    vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (!url.startsWith("/api/gdpr/export/download")) return serve(input, init);
      return Response.json({ error: "This export has expired; request a new one." }, { status: 410 });
    });

    const section = await screen.findByRole("region", { name: "Download my data" });
    await user.click(within(section).getByRole("button", { name: "Request my data" }));
    const failure = await within(section).findByRole("alert");
    expect(failure).toHaveTextContent("The export could not be completed.");
    expect(within(section).getByRole("progressbar", { name: "Export progress" })).toHaveAttribute(
      "aria-valuenow",
      "40",
    );

    await user.click(within(failure).getByRole("button", { name: "Try again" }));
    const download = await within(section).findByRole("button", { name: "Download ZIP (900 B)" });
    expect(server.callsTo("gdpr.requestExport")).toHaveLength(2);
    expect(within(section).getByRole("progressbar", { name: "Export progress" })).toHaveAttribute(
      "aria-valuenow",
      "100",
    );

    await user.click(download);
    expect(await within(section).findByRole("alert")).toHaveTextContent(
      "Could not download the file: This export has expired; request a new one.",
    );
  });

  it("finds the last export again after a reload (remembered id)", async () => {
    localStorage.setItem(`rapport.privacy.export.${USER.id}`, EXPORT_ID);
    await renderApp({
      path: "/privacy",
      handlers: privacyHandlers({ "gdpr.exportStatus": () => exportStatus("in_progress", 55) }),
    });
    const bar = await screen.findByRole("progressbar", { name: "Export progress" });
    expect(bar).toHaveAttribute("aria-valuenow", "55");
    expect(screen.getByText("Collecting the data and writing the ZIP…")).toBeInTheDocument();
    // While it runs there is nothing to request.
    expect(screen.queryByRole("button", { name: /Request/ })).toBeNull();
  });
});

describe("Contact page privacy", () => {
  const STOPS = ["recommendations", "analytics", "new or changed interactions", "syncs and imports"];

  function contactHandlers(
    person: ReturnType<typeof contact>,
    privacy: () => { restricted: boolean; erasedAt: Date | null },
    extra: Record<string, ProcedureHandler> = {},
  ) {
    return {
      "contacts.get": () => person,
      "interactions.listForContact": () => ({ items: [], nextCursor: null }),
      "recommendations.forContact": (input: { contactId: string }) => ({
        contactId: input.contactId,
        k: 20,
        includeKnown: false,
        items: [],
        cached: false,
        source: "compute",
        asOf: new Date(),
        computedAt: new Date(),
      }),
      "gdpr.contactPrivacy": () => ({ ...privacy(), restrictions: STOPS }),
      ...extra,
    };
  }

  it("members see that processing is restricted, but no privacy actions; suggestions are off", async () => {
    const ada = contact({ name: "Ada Lovelace", email: "ada@example.com" });
    const { server } = await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${ada.id}`,
      role: "member",
      handlers: contactHandlers(ada, () => ({ restricted: true, erasedAt: null })),
    });
    expect(await screen.findByText("Processing restricted")).toBeInTheDocument();
    expect(screen.getByText("Processing of this person's data is restricted (GDPR Art. 18).")).toBeInTheDocument();
    expect(
      screen.getByText(/stopped: recommendations, analytics, new or changed interactions and syncs and imports/),
    ).toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Privacy" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Erase…" })).toBeNull();
    expect(screen.queryByRole("region", { name: "Suggested connections" })).toBeNull();
    expect(server.callsTo("recommendations.forContact")).toHaveLength(0);
  });

  it("while restricted, the profile and tags are not editable and the page says why", async () => {
    const ada = contact({ name: "Ada Lovelace", email: "ada@example.com", tags: ["vip"] });
    await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${ada.id}`,
      role: "admin",
      handlers: contactHandlers(ada, () => ({ restricted: true, erasedAt: null })),
    });
    expect(await screen.findByText("Processing restricted")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Edit profile" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Remove tag vip" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Add tag" })).toBeNull();
    expect(screen.getByText("vip")).toBeInTheDocument();
    expect(screen.getAllByText(/Editing is paused while processing is restricted \(GDPR Art\. 18\)/)).toHaveLength(2);
  });

  it("an edit the server refuses as restricted shows its message in the form", async () => {
    const ada = contact({ name: "Ada Lovelace", email: "ada@example.com" });
    const message = "Processing is restricted for this contact (GDPR Art. 18); lift the restriction first.";
    const { user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${ada.id}`,
      role: "member",
      // Restricted by an admin after this page read it as not restricted.
      handlers: contactHandlers(ada, () => ({ restricted: false, erasedAt: null }), {
        "contacts.update": () => {
          throw domainError("FORBIDDEN", message, { reason: "restricted", contactIds: [ada.id] });
        },
      }),
    });
    await user.click(await screen.findByRole("button", { name: "Edit profile" }));
    const name = screen.getByLabelText(/^Name/);
    await user.clear(name);
    await user.type(name, "Ada King");
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(message);
    expect(screen.getByRole("button", { name: "Save changes" })).toBeInTheDocument();
  });

  it("an admin restricts through a confirmation, and erasing needs a reason and then shows the anonymous record", async () => {
    let person = contact({ name: "Ada Lovelace", email: "ada@example.com", company: "Engines", tags: ["vip"] });
    let state = { restricted: false, erasedAt: null as Date | null };
    const { server, user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${person.id}`,
      role: "admin",
      handlers: contactHandlers(person, () => state, {
        "contacts.get": () => person,
        "gdpr.restrictContact": () => {
          state = { ...state, restricted: true };
          return { restricted: true, restrictions: STOPS };
        },
        "gdpr.eraseContact": () => {
          const completedAt = new Date("2026-03-02T10:00:00Z");
          person = { ...person, name: "Erased contact", email: null, company: null, tags: [] };
          state = { restricted: true, erasedAt: completedAt };
          return { operationId: DELETION_ID, status: "completed", completedAt };
        },
      }),
    });

    const panel = await screen.findByRole("region", { name: "Privacy" });
    await within(panel).findByText("not restricted");
    await user.click(within(panel).getByRole("button", { name: "Restrict processing" }));
    const restrictDialog = await screen.findByRole("dialog", { name: "Restrict processing of Ada Lovelace's data?" });
    expect(restrictDialog).toHaveTextContent(
      "Stopped: recommendations, analytics, new or changed interactions and syncs and imports.",
    );
    await user.click(within(restrictDialog).getByRole("button", { name: "Yes, restrict" }));
    expect(await screen.findByText("Processing restricted")).toBeInTheDocument();
    expect(server.callsTo("gdpr.restrictContact")[0]!.input).toEqual({
      workspaceId: WORKSPACE_ID,
      contactId: person.id,
    });
    expect(within(panel).getByRole("button", { name: "Lift restriction" })).toBeInTheDocument();

    await user.click(within(panel).getByRole("button", { name: "Erase…" }));
    const eraseDialog = await screen.findByRole("dialog", { name: "Erase Ada Lovelace permanently?" });
    expect(eraseDialog).toHaveTextContent("This cannot be undone.");
    await user.click(within(eraseDialog).getByRole("button", { name: "Erase permanently" }));
    const reason = within(eraseDialog).getByLabelText("Reason for the erasure");
    expect(reason).toHaveAttribute("aria-invalid", "true");
    expect(reason).toHaveAccessibleDescription(expect.stringContaining("Give the reason for the erasure."));
    expect(reason).toHaveFocus();
    expect(server.callsTo("gdpr.eraseContact")).toHaveLength(0);
    // Longer than the server takes (pasted, say): its own message, still nothing sent.
    fireEvent.change(reason, { target: { value: "x".repeat(1_001) } });
    await user.click(within(eraseDialog).getByRole("button", { name: "Erase permanently" }));
    expect(await within(eraseDialog).findByText("must be at most 1000 characters")).toBeInTheDocument();
    expect(server.callsTo("gdpr.eraseContact")).toHaveLength(0);
    await user.clear(reason);

    await user.type(reason, "Requested by email");
    await user.click(within(eraseDialog).getByRole("button", { name: "Erase permanently" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Erased contact" })).toBeInTheDocument();
    expect(server.callsTo("gdpr.eraseContact")[0]!.input).toEqual({
      workspaceId: WORKSPACE_ID,
      contactId: person.id,
      reason: "Requested by email",
    });
    expect(await screen.findByText("Erased")).toBeInTheDocument();
    expect(screen.getByText(/This person's personal data was erased on/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Edit profile" })).toBeNull();
    expect(screen.queryByRole("region", { name: "Privacy" })).toBeNull();
    expect(screen.queryByText("Ada Lovelace")).toBeNull();
  });
});
