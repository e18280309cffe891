/** The workspace's pages as the header lists them; the command palette offers the same list. */
export type Section = {
  label: string;
  to:
    | "/w/$workspaceId/contacts"
    | `/w/$workspaceId/${"today" | "tasks" | "activity" | "analytics" | "members" | "integrations" | "audit" | "privacy" | "cache" | "webhooks"}`;
  /** Also highlighted on these pages (the contact pages belong to Contacts). */
  within?: string;
  /** Operators' pages (owners and admins only), grouped apart under "Admin". */
  admin?: boolean;
};

// Everyone sees Members: plain members get the read-only list and "Leave workspace".
export const SECTIONS: Section[] = [
  { label: "Today", to: "/w/$workspaceId/today" },
  { label: "Contacts", to: "/w/$workspaceId/contacts", within: "/w/$workspaceId/contacts" },
  { label: "Follow-ups", to: "/w/$workspaceId/tasks" },
  { label: "Activity", to: "/w/$workspaceId/activity" },
  { label: "Analytics", to: "/w/$workspaceId/analytics" },
  { label: "Members", to: "/w/$workspaceId/members" },
  { label: "Integrations", to: "/w/$workspaceId/integrations" },
  { label: "Audit", to: "/w/$workspaceId/audit", admin: true },
  { label: "Privacy", to: "/w/$workspaceId/privacy", admin: true },
  { label: "Webhooks", to: "/w/$workspaceId/webhooks", admin: true },
  { label: "Cache", to: "/w/$workspaceId/cache", admin: true },
];
