import { INVENTORY, type ColumnClass } from "./inventory";

/**
 * Renders docs/records-of-processing.md (GDPR Art. 30) from the inventory.
 * Regenerate with `pnpm gdpr:records`; a test fails when the committed file is stale.
 */
export function renderRecordsOfProcessing(): string {
  const lines: string[] = [];
  lines.push(
    "# Records of processing activities (GDPR Art. 30)",
    "",
    "<!-- Generated from packages/db/src/inventory.ts by `pnpm gdpr:records`. Do not edit by hand. -->",
    "",
    "Rapport processes two kinds of data subject: **account users** (Rapport is the controller) and **contacts**",
    "held by a workspace (the workspace is the controller, Rapport the processor).",
    "",
    "## Recipients and processors",
    "",
    "- Google (Gmail API): imports the connected mailbox's messages as interactions, only when a Gmail account is connected.",
    "- Hosting of the primary database and Redis cache: the region configured as `DATA_REGION` (see `gdpr.dataLocations`).",
    "",
    "## Retention",
    "",
    "- Audit log: 7 years by default (`AUDIT_RETENTION_DAYS`). Justification: accountability for security-relevant and",
    "  data-protection actions (Art. 5(2), Art. 17(3)(b)/(e)); entries refer to subjects by opaque id only; the",
    "  network identifiers they hold are the only personal values, kept as a documented Art. 17(3) exemption.",
    "- Suppression list: a keyed HMAC (key held only by the server, `GDPR_SUPPRESSION_KEY`) of an erased contact's",
    "  normalized address, pseudonymous data kept for the single purpose of stopping imports from re-creating the person.",
    "- Account deletion takes effect after `GDPR_DELETION_GRACE_DAYS` (default 30) unless cancelled.",
    "",
    "## Data inventory",
    "",
  );
  for (const [table, t] of Object.entries(INVENTORY)) {
    lines.push(
      `### \`${table}\``,
      "",
      `- Data subject: ${t.subject}`,
      `- Purpose: ${t.purpose}`,
      `- Retention: ${t.retention}`,
      "",
    );
    lines.push(
      "| Column | Classification | Category | Purpose | Retention | On erasure |",
      "|---|---|---|---|---|---|",
    );
    for (const [column, c] of Object.entries(t.columns)) lines.push(`| \`${column}\` | ${row(c)} |`);
    lines.push("");
  }
  return lines.join("\n");
}

function row(c: ColumnClass): string {
  if (c.kind === "not_personal") return "not personal | | | | ";
  if (c.kind === "pseudonymous") return `pseudonymous id | | ${c.purpose} | ${c.retention} | kept (no personal value)`;
  return `personal | ${c.category} | ${c.purpose} | ${c.retention} | ${c.retainedOnErasure ? `kept: ${c.retainedOnErasure}` : "erased"}`;
}
