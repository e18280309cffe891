import type { ExportFile } from "../../../platform/privacy/export-sources";

/** README.txt: what each file holds, with counts, purposes, categories, recipients, retention, sources and the subject's rights. */
export function buildReadme(input: {
  subjectKind: "user" | "contact";
  generatedAt: Date;
  files: ExportFile[];
  counts: number[];
  retentionDays: number;
}): string {
  const { subjectKind, generatedAt, files, counts } = input;
  const controller =
    subjectKind === "user"
      ? "For your account data the controller is the operator of this Rapport installation. For the CRM records of a workspace, the workspace (its organisation) is the controller and Rapport is its processor."
      : "The workspace that holds your record (its organisation) is the controller of this data. Rapport is the processor that stores it on the workspace's behalf.";
  const lines = [
    "YOUR PERSONAL DATA — EXPORT FROM RAPPORT",
    "=========================================",
    "",
    `Generated: ${generatedAt.toISOString()}`,
    `This export is about: ${subjectKind === "user" ? "your Rapport account (you, as a user)" : "you, as a contact held in a Rapport workspace"}.`,
    "It answers a request for access (Art. 15 GDPR) and for data portability (Art. 20 GDPR).",
    controller,
    "",
    "Files are JSON (UTF-8), machine-readable, so you can take them to another service.",
    `The download link expires ${input.retentionDays} days after the export was generated; the file is then deleted.`,
    "",
    "FILES",
    "-----",
  ];
  files.forEach((file, i) => {
    const n = counts[i] ?? 0;
    lines.push(
      "",
      `${file.file} — ${file.single ? "1 record" : `${n} record${n === 1 ? "" : "s"}`}`,
      `  What it holds:   ${file.holds}`,
      `  Purpose:         ${file.purpose}`,
      `  Categories:      ${file.categories}`,
      `  Recipients:      ${file.recipients}`,
      `  Retention:       ${file.retention}`,
      `  Source:          ${file.source}`,
    );
  });
  lines.push(
    "",
    "RECIPIENTS AND TRANSFERS",
    "------------------------",
    "Rapport does not sell or share personal data. Recipients are the members of the workspace, Rapport as",
    "processor, its hosting provider (database and backups), and — only for workspaces that connect Gmail —",
    'Google, from whom email metadata is imported ("imported from your Gmail").',
    "",
    "YOUR RIGHTS",
    "-----------",
    "- Access (Art. 15) and portability (Art. 20): this export; you can request a new one at any time.",
    "- Rectification (Art. 16): correct inaccurate data in Rapport or ask the controller to.",
    "- Erasure (Art. 17): delete your account (Privacy page) or ask the workspace to erase your record.",
    "- Restriction (Art. 18): ask that your data is kept but no longer processed (recommendations, analytics, syncs).",
    "- Objection (Art. 21): object to processing based on legitimate interests.",
    "- Complaint: you have the right to lodge a complaint with a supervisory authority (Art. 77), in particular",
    "  in the EU member state of your habitual residence, place of work or of the alleged infringement.",
    "",
    "Requests are answered within one month (Art. 12(3)).",
    "",
  );
  return lines.join("\n");
}
