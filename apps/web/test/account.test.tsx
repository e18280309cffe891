/**
 * The account page: the name (the top bar follows), the password change (checked with the
 * password rule before anything is sent; a wrong current password is shown on its field),
 * the sign-in sessions (one signed out, or all others after confirming) and the security record.
 */
import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { domainError } from "./support/fake-server";
import { USER } from "./support/fixtures";
import { renderApp } from "./support/render";

const ACCOUNT = "/settings/account";
const THIS_ID = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
const PHONE_ID = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
const LAPTOP_ID = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";

const session = (id: string, userAgent: string, current = false) => ({
  id,
  createdAt: new Date("2026-03-01T09:00:00Z"),
  lastUsedAt: new Date(),
  ip: "203.0.113.7",
  userAgent,
  current,
});
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const PHONE =
  "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";
const EDGE = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0";

describe("Account page", () => {
  it("renames the account: the top bar shows the new name at once", async () => {
    const { server, user } = await renderApp({
      path: ACCOUNT,
      handlers: {
        "auth.sessions": () => [session(THIS_ID, FIREFOX, true)],
        "auth.securityActivity": () => [],
        "auth.updateProfile": (input: { name: string }) => ({ ...USER, name: input.name }),
      },
    });
    const profile = await screen.findByRole("region", { name: "Profile" });
    const name = within(profile).getByLabelText("Name");
    await user.clear(name);
    await user.type(name, "Ana Ruiz-Lima");
    await user.click(within(profile).getByRole("button", { name: "Save name" }));

    expect(await within(profile).findByText("Name saved.")).toBeInTheDocument();
    expect(server.callsTo("auth.updateProfile").map((call) => call.input)).toEqual([{ name: "Ana Ruiz-Lima" }]);
    expect(screen.getByRole("link", { name: "Ana Ruiz-Lima, account settings" })).toBeInTheDocument();
    expect(server.unhandled).toEqual([]);
  });

  it("checks the new password with the rule before sending it, and shows a wrong current password on its field", async () => {
    let attempts = 0;
    const { server, user } = await renderApp({
      path: ACCOUNT,
      handlers: {
        "auth.sessions": () => [session(THIS_ID, FIREFOX, true), session(PHONE_ID, PHONE)],
        "auth.securityActivity": () => [],
        "auth.changePassword": () => {
          attempts++;
          if (attempts === 1)
            throw domainError("FORBIDDEN", "The current password is incorrect.", { path: ["currentPassword"] });
          return { sessionsRevoked: 1 };
        },
      },
    });
    const section = await screen.findByRole("region", { name: "Password" });
    const current = within(section).getByLabelText("Current password");
    const fresh = within(section).getByLabelText("New password");
    const submit = within(section).getByRole("button", { name: "Change password" });

    await user.type(current, "my old passphrase");
    await user.type(fresh, "short");
    await user.click(submit);
    expect(await within(section).findByText("must be at least 10 characters")).toBeInTheDocument();
    expect(server.callsTo("auth.changePassword")).toHaveLength(0);

    await user.clear(fresh);
    await user.type(fresh, "my old passphrase");
    await user.click(submit);
    expect(await within(section).findByText("must differ from the current password")).toBeInTheDocument();
    expect(server.callsTo("auth.changePassword")).toHaveLength(0);

    await user.clear(fresh);
    await user.type(fresh, "a brand new passphrase");
    await user.click(submit);
    expect(await within(section).findByText("The current password is incorrect.")).toBeInTheDocument();
    expect(current).toHaveAttribute("aria-invalid", "true");

    await user.click(submit);
    expect(await within(section).findByText(/Password changed\. 1 other session was signed out\./)).toBeInTheDocument();
    expect(server.callsTo("auth.changePassword").map((call) => call.input)).toEqual([
      { currentPassword: "my old passphrase", newPassword: "a brand new passphrase" },
      { currentPassword: "my old passphrase", newPassword: "a brand new passphrase" },
    ]);
    // The form is emptied: no password stays on the page.
    expect(within(section).getByLabelText<HTMLInputElement>("Current password").value).toBe("");
    expect(server.unhandled).toEqual([]);
  });

  it("lists the sessions by browser, signs one out, then every other one after confirming", async () => {
    let sessions = [session(THIS_ID, FIREFOX, true), session(PHONE_ID, PHONE), session(LAPTOP_ID, EDGE)];
    const { server, user } = await renderApp({
      path: ACCOUNT,
      handlers: {
        "auth.sessions": () => sessions,
        "auth.securityActivity": () => [
          {
            id: 2,
            action: "auth.login_failed",
            ip: "198.51.100.4",
            userAgent: FIREFOX,
            createdAt: new Date(),
          },
          { id: 1, action: "auth.login", ip: "203.0.113.7", userAgent: FIREFOX, createdAt: new Date() },
        ],
        "auth.revokeSession": (input: { sessionId: string }) => {
          sessions = sessions.filter((s) => s.id !== input.sessionId);
          return { revoked: true };
        },
        "auth.revokeOtherSessions": () => {
          const ended = sessions.filter((s) => !s.current).length;
          sessions = sessions.filter((s) => s.current);
          return { sessionsRevoked: ended };
        },
      },
    });
    const list = await screen.findByRole("list", { name: "Sessions" });
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(3));
    expect(within(list).getByText("Firefox on Linux")).toBeInTheDocument();
    expect(within(list).getByText("This browser")).toBeInTheDocument();
    // The current session has no sign-out button of its own.
    expect(within(list).getAllByRole("button")).toHaveLength(2);

    await user.click(within(list).getByRole("button", { name: "Sign out Chrome on Android, 203.0.113.7" }));
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(2));
    expect(server.callsTo("auth.revokeSession").map((call) => call.input)).toEqual([{ sessionId: PHONE_ID }]);

    await user.click(screen.getByRole("button", { name: "Sign out all other sessions" }));
    const dialog = await screen.findByRole("dialog", { name: "Sign out all other sessions?" });
    expect(within(dialog).getByText(/except this one, is signed out \(1 session\)/)).toBeInTheDocument();
    await user.click(within(dialog).getByRole("button", { name: "Yes, sign them out" }));
    expect(await screen.findByText("1 other session signed out.")).toBeInTheDocument();
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(1));
    expect(screen.getByRole("button", { name: "Sign out all other sessions" })).toBeDisabled();

    const record = screen.getByRole("list", { name: "Security activity" });
    expect(within(record).getByText("Failed sign-in (wrong password)")).toBeInTheDocument();
    expect(within(record).getByText(/198\.51\.100\.4/)).toBeInTheDocument();
    expect(server.unhandled).toEqual([]);
  });
});
