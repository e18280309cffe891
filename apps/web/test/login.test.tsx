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
    expect(server.callsTo("auth.login")[0]!.input).toMatchObject({ email: "ana@example.com", password: "wrong password" });
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

    await screen.findByRole("heading", { name: "Sign in to Rapport" });
    await user.type(screen.getByLabelText("Email"), "ana@example");
    await user.type(screen.getByLabelText("Password"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    // Shown with the field it belongs to.
    await waitFor(() => expect(screen.getByLabelText("Email")).toHaveAccessibleDescription(/must be a valid email address/));

    await user.clear(screen.getByLabelText("Email"));
    await user.type(screen.getByLabelText("Email"), "ana@example.com");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("button", { name: "Sign out" })).toBeInTheDocument();
    await waitFor(() => expect(server.callsTo("auth.login")).toHaveLength(2));
    // Browsers keep the refresh token in the httpOnly cookie, never in JavaScript.
    expect(server.callsTo("auth.login")[1]!.input).toMatchObject({ refreshTransport: "cookie" });
  });
});
