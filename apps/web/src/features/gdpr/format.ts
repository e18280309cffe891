import type { RouterInputs, RouterOutputs } from "../../trpc";

export type Operation = RouterOutputs["gdpr"]["operations"][number];
export type ExportStatus = RouterOutputs["gdpr"]["exportStatus"];
export type ExportSection = NonNullable<NonNullable<RouterInputs["gdpr"]["requestExport"]>["include"]>[number];

/** What kind of request an operation is (gdpr_operations.type). */
const TYPE_LABELS: Record<string, string> = {
  access_export: "Copy of my data",
  contact_export: "Data export",
  user_deletion: "Account deletion",
  workspace_deletion: "Workspace deletion",
  contact_erasure: "Erasure",
  restriction: "Restriction of processing",
  restriction_lifted: "Restriction lifted",
};

export function operationLabel(type: string): string {
  return TYPE_LABELS[type] ?? type.replace(/_/g, " ").replace(/^./, (first) => first.toUpperCase());
}

const STATUS_LABELS: Record<Operation["status"], string> = {
  pending: "Pending",
  in_progress: "In progress",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** A deletion waiting for its grace period is "scheduled", not merely pending. */
export function statusLabel(operation: Pick<Operation, "type" | "status">): string {
  if ((operation.type === "user_deletion" || operation.type === "workspace_deletion") && operation.status === "pending")
    return "Scheduled";
  return STATUS_LABELS[operation.status] ?? operation.status;
}

export function isOpen(operation: Pick<Operation, "status">): boolean {
  return operation.status === "pending" || operation.status === "in_progress";
}

/** The sections a person can choose for their own export (profile is always included). */
export const EXPORT_SECTIONS: { value: ExportSection; label: string; description: string }[] = [
  {
    value: "profile",
    label: "Profile",
    description: "Your account, workspace memberships and sign-in sessions (always included).",
  },
  {
    value: "contacts",
    label: "Contacts",
    description: "Contacts of the workspaces you own, and those you added elsewhere.",
  },
  {
    value: "interactions",
    label: "Interactions",
    description: "Emails, meetings, calls and notes of those workspaces, and those you logged.",
  },
  { value: "preferences", label: "Preferences", description: "Settings you changed, such as analytics values." },
  { value: "activity", label: "Activity", description: "Activity feed entries of things you did." },
  {
    value: "audit",
    label: "Security log",
    description: "Sign-ins and other audited actions, with IP address and browser.",
  },
];

/** "contact_details" → "Contact details". */
export function humanize(key: string): string {
  const text = key.replace(/[_-]+/g, " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
