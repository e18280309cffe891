import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { rateLimited, zodError } from "./support/fake-server";
import { authResult } from "./support/fixtures";
import { renderApp } from "./support/render";

describe("sign-in form", () => {
  it("shows the rate-limit message with the wait time the server sent", async () => {
    const { server, user } = await renderApp({
      signedIn: false,
      handlers: {
        "auth.login": () => {
          throw rateLimited(42);
        },
      },
    });

    await screen.findByRole("heading", { name: "Sign in to Rapport" });
    await user.type(screen.getByLabelText("Email"), "ana@example.com");
    await user.type(screen.getByLabelText("Password"), "wrong password");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent(/too many/i);
    // The wait comes from the server (details.retryAfterSeconds / Retry-After), counting down.
    expect(alert.textContent).toMatch(/\b(42|41|40) ?s(econds?)?\b/);
    expect(server.callsTo("auth.login")).toHaveLength(1);
    expect(server.callsTo("auth.login")[0]!.input).toMatchObject({
      email: "ana@example.com",
      password: "wrong password",
    });
    // No second attempt while the limit lasts.
    expect(screen.getByRole("button", { name: "Sign in" })).toBeDisabled();
  });

  it("shows the server's validation message and signs in on the next try", async () => {
    let attempts = 0;
    const { server, user } = await renderApp({
      signedIn: false,
      handlers: {
        "auth.login": () => {
          attempts += 1;
          if (attempts === 1) throw zodError([{ path: ["email"], message: "must be a valid email address" }]);
          return authResult();
        },
      },
    });

    // An address the browser's copy of the schema accepts; the server's answer is what shows.
    await screen.findByRole("heading", { name: "Sign in to Rapport" });
    await user.type(screen.getByLabelText("Email"), "ana@example.org");
    await user.type(screen.getByLabelText("Password"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    // Shown with the field it belongs to.
    await waitFor(() =>
      expect(screen.getByLabelText("Email")).toHaveAccessibleDescription(/must be a valid email address/),
    );

    await user.clear(screen.getByLabelText("Email"));
    await user.type(screen.getByLabelText("Email"), "ana@example.com");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("button", { name: "Sign out" })).toBeInTheDocument();
    await waitFor(() => expect(server.callsTo("auth.login")).toHaveLength(2));
    // Browsers keep the refresh token in the httpOnly cookie, never in JavaScript.
    expect(server.callsTo("auth.login")[1]!.input).toMatchObject({ refreshTransport: "cookie" });
  });

  it("registration refuses a common password in the browser, with the server's rule, before sending it", async () => {
    const { server, user } = await renderApp({ signedIn: false, handlers: { "auth.register": () => authResult() } });

    await screen.findByRole("heading", { name: "Sign in to Rapport" });
    await user.click(screen.getByRole("button", { name: "Create an account" }));
    await user.type(screen.getByLabelText("Name"), "Ana");
    await user.type(screen.getByLabelText("Email"), "ana@example.com");
    await user.type(screen.getByLabelText("Password"), "Password123");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    await waitFor(() => expect(screen.getByLabelText("Password")).toHaveAccessibleDescription(/most common passwords/));
    expect(server.callsTo("auth.register")).toHaveLength(0);

    await user.clear(screen.getByLabelText("Password"));
    await user.type(screen.getByLabelText("Password"), "four random words here");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("button", { name: "Sign out" })).toBeInTheDocument();
    expect(server.callsTo("auth.register")[0]!.input).toMatchObject({
      email: "ana@example.com",
      password: "four random words here",
    });
  });

  it("sign-up checks every field with auth.register's schema on blur and on submit, sending nothing while one is invalid", async () => {
    const { server, user } = await renderApp({ signedIn: false, handlers: { "auth.register": () => authResult() } });

    await screen.findByRole("heading", { name: "Sign in to Rapport" });
    await user.click(screen.getByRole("button", { name: "Create an account" }));
    const name = screen.getByLabelText("Name");
    const email = screen.getByLabelText("Email");
    const password = screen.getByLabelText("Password");
    await user.type(email, "ana@example");
    await user.tab();
    // On leaving the field, with the server's own message.
    expect(email).toHaveAccessibleDescription("must be a valid email address");
    expect(email).toHaveAttribute("aria-invalid", "true");

    await user.type(password, "short");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    await waitFor(() => expect(password).toHaveAccessibleDescription(/must be at least 10 characters/));
    expect(password).toHaveAttribute("aria-invalid", "true");
    expect(name).toHaveAccessibleDescription("must not be empty");
    expect(name).toHaveAttribute("aria-invalid", "true");
    // Focus goes to the first field in error.
    await waitFor(() => expect(name).toHaveFocus());
    expect(server.callsTo("auth.register")).toHaveLength(0);

    await user.type(name, "Ana");
    await user.clear(email);
    await user.type(email, "Ana@Example.com");
    await user.clear(password);
    await user.type(password, "four random words here");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("button", { name: "Sign out" })).toBeInTheDocument();
    expect(server.callsTo("auth.register")).toHaveLength(1);
    expect(server.callsTo("auth.register")[0]!.input).toEqual({
      name: "Ana",
      email: "Ana@Example.com",
      password: "four random words here",
      refreshTransport: "cookie",
    });
  });

  it("sign-in checks the email before sending it", async () => {
    const { server, user } = await renderApp({ signedIn: false, handlers: { "auth.login": () => authResult() } });

    await screen.findByRole("heading", { name: "Sign in to Rapport" });
    const email = screen.getByLabelText("Email");
    await user.type(email, "ana@example");
    await user.type(screen.getByLabelText("Password"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(email).toHaveAccessibleDescription("must be a valid email address"));
    await waitFor(() => expect(email).toHaveFocus());
    expect(server.callsTo("auth.login")).toHaveLength(0);
  });
});
