/**
 * The contact page's "Relationship" panel: health with its recency and frequency parts, CLV,
 * last contact and interaction counts from analytics.contactRelationship; hidden for a
 * restricted contact; an error with Try again. Only fetch is faked (support/fake-server.ts).
 */
import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { domainError } from "./support/fake-server";
import { contact, WORKSPACE_ID } from "./support/fixtures";
import { renderApp } from "./support/render";

const AS_OF = new Date("2026-03-01T12:00:00Z");

describe("Relationship panel", () => {
  it("shows health with its recency and frequency parts, CLV, last contact and interaction counts", async () => {
    const ada = contact({ name: "Ada Lovelace" });
    const { server } = await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${ada.id}`,
      handlers: {
        "contacts.get": () => ada,
        "interactions.listForContact": () => ({ items: [], nextCursor: null }),
        "recommendations.forContact": () => ({
          contactId: ada.id,
          k: 20,
          includeKnown: false,
          items: [],
          cached: false,
          source: "compute",
          asOf: AS_OF,
          computedAt: AS_OF,
        }),
        "analytics.contactRelationship": (input: { contactId: string }) => ({
          contactId: input.contactId,
          asOf: AS_OF,
          health: { score: 62.5, recency: 100, frequency: 25, bucket: "at_risk" },
          clv: { value: 1234.5, bucket: "high" },
          lastContactAt: new Date(AS_OF.getTime() - 3 * 86_400_000),
          interactions: 42,
          interactions30d: 2,
          interactions90d: 5,
        }),
      },
    });

    const panel = await screen.findByRole("region", { name: "Relationship" });
    expect(await within(panel).findByText("62.5")).toBeInTheDocument();
    expect(panel).toHaveTextContent("At risk");
    const parts = within(panel).getByRole("list", { name: "Health is the average of" });
    expect(
      within(parts)
        .getAllByRole("listitem")
        .map((item) => item.textContent),
    ).toEqual(["Recency100 / 100", "Frequency25 / 100"]);
    expect(panel).toHaveTextContent("$1,234.50 (high)");
    expect(panel).toHaveTextContent("3 days ago");
    const lastContact = within(panel).getByText(/3 days ago/);
    expect(lastContact).toHaveAttribute("datetime", "2026-02-26T12:00:00.000Z");
    expect(panel).toHaveTextContent("42 (5 in the last 90 days)");
    expect(server.callsTo("analytics.contactRelationship")[0]!.input).toEqual({
      workspaceId: WORKSPACE_ID,
      contactId: ada.id,
    });
    expect(server.unhandled).toEqual([]);
  });

  it("shows the imported email figures: total, most recent subject and a chart of emails per month over 90 days", async () => {
    const ada = contact({ name: "Ada Lovelace" });
    const { server } = await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${ada.id}`,
      handlers: {
        "contacts.get": () => ada,
        "interactions.listForContact": () => ({ items: [], nextCursor: null }),
        "recommendations.forContact": () => {
          throw domainError("NOT_FOUND", "none");
        },
        "gmail.contactInsights": () => ({
          totalEmails: 17,
          lastEmailAt: new Date("2026-02-27T09:00:00Z"),
          lastSubject: "Re: the analytical engine",
          emailsPerMonth: [
            { month: "2025-12", count: 2 },
            { month: "2026-01", count: 0 },
            { month: "2026-02", count: 5 },
          ],
          computedAt: AS_OF,
        }),
      },
    });
    const panel = await screen.findByRole("region", { name: "Relationship" });
    const emails = await within(panel).findByRole("group", { name: "Email" });
    expect(emails).toHaveTextContent("Total emails17");
    expect(emails).toHaveTextContent("Re: the analytical engine");
    expect(emails).toHaveTextContent("7 emails in the last 90 days: Dec 2025 2, Jan 2026 0, Feb 2026 5.");
    expect(await within(emails).findByRole("img", { name: /^Bar chart of emails per month\./ })).toBeInTheDocument();
    expect(server.callsTo("gmail.contactInsights")[0]!.input).toEqual({ workspaceId: WORKSPACE_ID, contactId: ada.id });
  });

  it("says Never for a contact never contacted", async () => {
    const cy = contact({ name: "Cy Newman" });
    await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${cy.id}`,
      handlers: {
        "contacts.get": () => cy,
        "interactions.listForContact": () => ({ items: [], nextCursor: null }),
        "recommendations.forContact": () => {
          throw domainError("NOT_FOUND", "none");
        },
      },
    });
    const panel = await screen.findByRole("region", { name: "Relationship" });
    expect(await within(panel).findByText("Never")).toBeInTheDocument();
    expect(panel).toHaveTextContent("Inactive");
  });

  it("is not shown for a contact whose processing is restricted", async () => {
    const rita = contact({ name: "Rita Restricted" });
    const { server } = await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${rita.id}`,
      handlers: {
        "contacts.get": () => rita,
        "interactions.listForContact": () => ({ items: [], nextCursor: null }),
        "gdpr.contactPrivacy": () => ({ restricted: true, restrictions: ["analytics"], erasedAt: null }),
      },
    });
    expect(await screen.findByRole("heading", { level: 1, name: "Rita Restricted" })).toBeInTheDocument();
    expect((await screen.findAllByText(/restricted/i)).length).toBeGreaterThan(0);
    expect(screen.queryByRole("region", { name: "Relationship" })).toBeNull();
    expect(server.callsTo("analytics.contactRelationship")).toEqual([]);
  });

  it("shows an error with Try again", async () => {
    const ada = contact({ name: "Ada Lovelace" });
    let fail = true;
    const { user } = await renderApp({
      path: `/w/${WORKSPACE_ID}/contacts/${ada.id}`,
      handlers: {
        "contacts.get": () => ada,
        "interactions.listForContact": () => ({ items: [], nextCursor: null }),
        "recommendations.forContact": () => {
          throw domainError("NOT_FOUND", "none");
        },
        "analytics.contactRelationship": (input: { contactId: string }) => {
          if (fail) throw domainError("INTERNAL_SERVER_ERROR", "boom");
          return {
            contactId: input.contactId,
            asOf: AS_OF,
            health: { score: 100, recency: 100, frequency: 100, bucket: "healthy" },
            clv: { value: 10, bucket: "low" },
            lastContactAt: AS_OF,
            interactions: 31,
            interactions30d: 31,
            interactions90d: 31,
          };
        },
      },
    });
    const panel = await screen.findByRole("region", { name: "Relationship" });
    const alert = await within(panel).findByRole("alert", {}, { timeout: 10_000 });
    expect(alert).toHaveTextContent("Could not load the relationship figures");
    fail = false;
    await user.click(within(alert).getByRole("button", { name: /try again/i }));
    expect(await within(panel).findByText("Healthy")).toBeInTheDocument();
  });
});
