/**
 * Personal-data inventory (GDPR): classifies EVERY column of EVERY table.
 * apps/server/test/gdpr-inventory.test.ts fails when the database has a column
 * this file doesn't classify, and when a personal column has no registered eraser.
 * docs/records-of-processing.md is generated from it (pnpm gdpr:records).
 */

export type PersonalCategory =
  | "identity" // names
  | "contact_details" // email addresses, phone numbers
  | "professional" // employer, job title
  | "communication_content" // subjects, summaries of interactions
  | "credentials" // password hashes, token hashes
  | "online_identifiers" // IP addresses, user agents
  | "preferences" // tags and free classification
  | "request_data"; // free text given with a data-subject request

export type ColumnClass =
  | {
      kind: "personal";
      category: PersonalCategory;
      purpose: string;
      retention: string;
      /**
       * Kept through an erasure request for its retention period, with the legal ground
       * (Art. 17(3)). Every other personal column must be handled by a registered eraser.
       */
      retainedOnErasure?: string;
    }
  | { kind: "pseudonymous"; purpose: string; retention: string }
  | { kind: "not_personal" };

export interface TableInventory {
  /** Whose data rows of this table are about. */
  subject: "user" | "contact" | "workspace" | "system";
  purpose: string;
  retention: string;
  columns: Record<string, ColumnClass>;
}

const np: ColumnClass = { kind: "not_personal" };
const pid = (purpose: string, retention = "as long as the row"): ColumnClass => ({
  kind: "pseudonymous",
  purpose,
  retention,
});
const personal = (
  category: PersonalCategory,
  purpose: string,
  retention: string,
  retainedOnErasure?: string,
): ColumnClass =>
  retainedOnErasure
    ? { kind: "personal", category, purpose, retention, retainedOnErasure }
    : { kind: "personal", category, purpose, retention };
const AUDIT_EXEMPTION =
  "append-only security log kept for its retention period (Art. 17(3)(b) and (e): legal obligation, defence of legal claims); deleted by the retention job";

const ACCOUNT = "until the account is erased";
const CONTACT = "until the contact is erased or purged (30 days after deletion)";
const GMAIL = "until the member disconnects the mailbox, leaves the workspace or erases the account";
const MERGE = "30 days after the merge (the undo period), or until undone or the contact is erased";
const AUDIT = "audit log retention (AUDIT_RETENTION_DAYS, default 7 years)";
const WEBHOOK = "webhook log retention (WEBHOOK_RETENTION_DAYS, default 30 days); scrubbed when the person is erased";
const INVITATION =
  "until the invitation expires (INVITATION_TTL_DAYS, default 7), whether answered or not; then deleted by the daily job";

export const INVENTORY: Record<string, TableInventory> = {
  users: {
    subject: "user",
    purpose: "account: sign-in and identification of workspace members",
    retention: ACCOUNT,
    columns: {
      id: pid("account identifier"),
      email: personal("contact_details", "sign-in and notifications", ACCOUNT),
      name: personal("identity", "display to workspace members", ACCOUNT),
      password_hash: personal("credentials", "authentication", ACCOUNT),
      created_at: np,
      updated_at: np,
    },
  },
  sessions: {
    subject: "user",
    purpose: "authentication sessions",
    retention:
      "30 days after the session ends (revoked, or idle past the refresh-token lifetime), or until the account is erased",
    columns: {
      id: pid("session identifier"),
      user_id: pid("owner of the session"),
      created_at: np,
      last_used_at: np,
      revoked_at: np,
      revoked_reason: np,
      ip: personal("online_identifiers", "security of sign-in", "30 days after the session ends"),
      user_agent: personal("online_identifiers", "security of sign-in", "30 days after the session ends"),
    },
  },
  refresh_tokens: {
    subject: "user",
    purpose: "authentication",
    retention: "deleted by the daily retention job once expired, or when the account is erased",
    columns: {
      id: np,
      session_id: pid("session"),
      user_id: pid("owner"),
      token_hash: personal("credentials", "authentication", "until expiry"),
      expires_at: np,
      used_at: np,
      created_at: np,
    },
  },
  workspaces: {
    subject: "workspace",
    purpose: "tenant of the CRM",
    retention: "until the workspace is deleted",
    columns: { id: np, name: np, phone_country: np, created_by: pid("creator"), created_at: np, updated_at: np },
  },
  memberships: {
    subject: "user",
    purpose: "authorization within workspaces",
    retention: ACCOUNT,
    columns: { workspace_id: np, user_id: pid("member"), role: np, created_at: np, updated_at: np },
  },
  workspace_invitations: {
    subject: "user",
    purpose: "inviting a person into a workspace with their consent (they accept or decline)",
    retention: INVITATION,
    columns: {
      id: np,
      workspace_id: np,
      email: personal("contact_details", "matching the invitation to the invitee's account", INVITATION),
      role: np,
      token_hash: personal("credentials", "single-use invitation link", INVITATION),
      status: np,
      invited_by: pid("member who invited"),
      created_at: np,
      expires_at: np,
      responded_at: np,
    },
  },
  contacts: {
    subject: "contact",
    purpose: "relationship management on behalf of the workspace (controller)",
    retention: CONTACT,
    columns: {
      id: pid("contact identifier"),
      workspace_id: np,
      email: personal("contact_details", "relationship management", CONTACT),
      name: personal("identity", "relationship management", CONTACT),
      company: personal("professional", "relationship management", CONTACT),
      title: personal("professional", "relationship management", CONTACT),
      phone: personal("contact_details", "relationship management", CONTACT),
      tags: personal("preferences", "segmentation by the workspace", CONTACT),
      source: np,
      created_by: pid("workspace member who created the contact"),
      created_at: np,
      updated_at: np,
      deleted_at: np,
      search_text: personal("contact_details", "search (name, email, company, title, phone, tags, folded)", CONTACT),
      search_doc: personal(
        "contact_details",
        "search (the words of name, email, company, title, phone, tags)",
        CONTACT,
      ),
    },
  },
  interactions: {
    subject: "contact",
    purpose: "history of communication with contacts (relationship strength, analytics)",
    retention: CONTACT,
    columns: {
      id: np,
      workspace_id: np,
      contact_id: pid("the contact the interaction is with"),
      type: np,
      direction: np,
      occurred_at: np,
      subject: personal("communication_content", "relationship history", CONTACT),
      summary: personal("communication_content", "relationship history", CONTACT),
      search_doc: personal("communication_content", "search (the words of the subject and summary)", CONTACT),
      source: np,
      external_id: pid("de-duplication of imports (e.g. Gmail message id)"),
      created_by: pid("workspace member who logged it"),
      created_at: np,
    },
  },
  search_terms: {
    subject: "contact",
    purpose:
      "typo-tolerant search (the distinct words of the workspace's contacts and interactions, with no link to a person)",
    retention: CONTACT,
    columns: {
      workspace_id: np,
      term: personal("identity", "search (words a typo in a query may stand for)", CONTACT),
    },
  },
  interaction_participants: {
    subject: "contact",
    purpose: "who took part in an interaction",
    retention: CONTACT,
    columns: {
      id: np,
      interaction_id: np,
      workspace_id: np,
      contact_id: pid("linked contact"),
      email: personal("contact_details", "linking participants to contacts", CONTACT),
      display_name: personal("identity", "relationship history", CONTACT),
      role: np,
      occurred_at: np,
      type: np,
      filed_contact_id: pid("the contact the interaction is filed under (a copy of interactions.contact_id)"),
    },
  },
  gmail_connections: {
    subject: "user",
    purpose: "importing the member's Gmail correspondence into the workspace (contacts and interactions)",
    retention: GMAIL,
    columns: {
      id: np,
      workspace_id: np,
      user_id: pid("member whose mailbox is connected"),
      google_email: personal(
        "contact_details",
        "showing which mailbox is connected; skipping the owner's own address",
        GMAIL,
      ),
      refresh_token_sealed: personal(
        "credentials",
        "reading the mailbox on the member's behalf (sealed, AES-256-GCM)",
        GMAIL,
      ),
      access_token_sealed: personal(
        "credentials",
        "reading the mailbox on the member's behalf (sealed, AES-256-GCM)",
        GMAIL,
      ),
      access_token_expires_at: np,
      status: np,
      last_error: np,
      sync_frequency_min: np,
      max_emails: np,
      history_id: np,
      sync_cursor: np,
      full_sync_due: np,
      last_sync_at: np,
      last_full_sync_at: np,
      next_sync_at: np,
      lease_until: np,
      lease_token: np,
      progress_processed: np,
      progress_total: np,
      progress_started_at: np,
      throttled_runs: np,
      skipped_reason: np,
      skipped_at: np,
      contacts_synced: np,
      interactions_logged: np,
      aliases: personal("contact_details", "skipping the owner's own addresses", GMAIL),
      configured_aliases: personal("contact_details", "skipping the addresses the owner named as their own", GMAIL),
      delete_with_messages: np,
      created_at: np,
      updated_at: np,
    },
  },
  gmail_oauth_states: {
    subject: "user",
    purpose: "protecting the Gmail consent flow (CSRF, PKCE)",
    retention: "10 minutes; deleted when used, by the daily job when expired, or when the account is erased",
    columns: {
      nonce: np,
      user_id: pid("member who started the consent flow"),
      workspace_id: np,
      code_verifier_sealed: personal("credentials", "PKCE proof of the consent flow (sealed)", "10 minutes"),
      expires_at: np,
      created_at: np,
    },
  },
  gmail_revocations: {
    subject: "user",
    purpose: "revoking the Google grant of a removed connection (disconnect, account erasure)",
    retention: "until Google confirms the revocation (retried with backoff); then deleted",
    columns: {
      id: np,
      // Erased by the gmail handler's revocation: revoked at Google within minutes, then deleted.
      token_sealed: personal(
        "credentials",
        "revoking the grant at Google",
        "until revoked (minutes; retried with backoff)",
      ),
      attempts: np,
      next_attempt_at: np,
      created_at: np,
    },
  },
  gmail_contact_stats: {
    subject: "contact",
    purpose: "relationship figures from synced mail shown on the contact page",
    retention: CONTACT,
    columns: {
      contact_id: pid("the contact the figures are about"),
      workspace_id: np,
      total_emails: np,
      last_email_at: np,
      last_subject: personal("communication_content", "relationship history", CONTACT),
      emails_per_month: np,
      computed_at: np,
    },
  },
  contact_reconnect: {
    subject: "contact",
    purpose: "keep-in-touch reminders: the Reconnect list",
    retention: CONTACT,
    columns: {
      contact_id: pid("the contact the reminder is about"),
      workspace_id: np,
      keep_in_touch_days: personal("preferences", "how often the workspace wants to be in touch", CONTACT),
      snoozed_until: personal("preferences", "not suggesting the contact before this time", CONTACT),
      done_at: personal("preferences", "restarting the keep-in-touch clock", CONTACT),
      updated_at: np,
    },
  },
  duplicate_candidates: {
    subject: "contact",
    purpose: "likely duplicate contacts found by a scan (ids, a score and reason codes, never the values)",
    retention: "until the next scan of the workspace, or with either contact",
    columns: {
      workspace_id: np,
      contact_a_id: pid("one contact of the pair"),
      contact_b_id: pid("the other contact of the pair"),
      score: np,
      reasons: np,
      found_at: np,
    },
  },
  duplicate_dismissals: {
    subject: "contact",
    purpose: "pairs a member said are different people, so they are not proposed again",
    retention: "with either contact",
    columns: {
      workspace_id: np,
      contact_a_id: pid("one contact of the pair"),
      contact_b_id: pid("the other contact of the pair"),
      dismissed_by: pid("the member who dismissed the pair"),
      dismissed_at: np,
    },
  },
  contact_merges: {
    subject: "contact",
    purpose: "undoing a merge of two contacts: the merged contact and every row the merge moved",
    retention: MERGE,
    columns: {
      id: np,
      workspace_id: np,
      survivor_id: pid("the contact that was kept"),
      merged_contact_id: pid("the contact merged into it"),
      merged_by: pid("the member who merged them"),
      merged_at: np,
      undo_until: np,
      merged_contact: personal(
        "identity",
        "putting the merged contact back (name, email, phone, company, title, tags)",
        MERGE,
      ),
      survivor_before: personal("identity", "putting the kept contact's values back", MERGE),
      survivor_after: personal("identity", "telling which of the kept contact's values an undo may put back", MERGE),
      moved: personal(
        "contact_details",
        "putting back participant entries and reminders the merge moved or removed",
        MERGE,
      ),
    },
  },
  tasks: {
    subject: "contact",
    purpose: "follow-ups: what a member has to do by when, often about a contact",
    retention: "until deleted by a member; with the contact it is about (erasure, purge)",
    columns: {
      id: np,
      workspace_id: np,
      contact_id: pid("the contact the follow-up is about"),
      interaction_id: pid("the timeline item it follows up on"),
      title: personal("communication_content", "what to follow up on (free text)", CONTACT),
      due_at: np,
      assignee_id: pid("the member who has to do it"),
      created_by: pid("the member who created it"),
      completed_at: np,
      completed_by: pid("the member who completed it"),
      reminded_at: np,
      created_at: np,
      updated_at: np,
    },
  },
  domain_events: {
    subject: "system",
    purpose: "change feed between modules (payloads carry ids only)",
    retention: "as long as the workspace",
    columns: {
      id: np,
      tx_id: np,
      workspace_id: np,
      actor_id: pid("actor"),
      type: np,
      payload: pid("ids of changed records"),
      created_at: np,
    },
  },
  event_consumers: {
    subject: "system",
    purpose: "event delivery bookkeeping",
    retention: "indefinite (no personal data)",
    columns: { name: np, last_tx_id: np, last_event_id: np, updated_at: np },
  },
  audit_log: {
    subject: "user",
    purpose: "security and accountability (legal obligation / legitimate interest)",
    retention: AUDIT,
    columns: {
      id: np,
      workspace_id: np,
      actor_id: pid("acting user", AUDIT),
      action: np,
      target_type: np,
      target_id: pid("opaque id of the target", AUDIT),
      ip: personal("online_identifiers", "security investigations", AUDIT, AUDIT_EXEMPTION),
      user_agent: personal("online_identifiers", "security investigations", AUDIT, AUDIT_EXEMPTION),
      metadata: pid("opaque ids and non-personal details of the action", AUDIT),
      created_at: np,
    },
  },
  analytics_settings: {
    subject: "workspace",
    purpose: "analytics configuration",
    retention: "as long as the workspace",
    columns: {
      workspace_id: np,
      email_cents: np,
      meeting_cents: np,
      call_cents: np,
      linkedin_cents: np,
      note_cents: np,
      medium_threshold_cents: np,
      high_threshold_cents: np,
      revision: np,
      updated_by: pid("member who changed the settings"),
      updated_at: np,
    },
  },
  webhook_endpoints: {
    subject: "workspace",
    purpose: "outgoing webhooks: where the workspace's events are sent, signed with the endpoint's secret",
    retention: "until the endpoint or the workspace is deleted",
    columns: {
      id: np,
      workspace_id: np,
      url: np,
      description: np,
      event_types: np,
      enabled: np,
      disabled_reason: np,
      disabled_at: np,
      secret_sealed: np,
      previous_secret_sealed: np,
      previous_secret_expires_at: np,
      secret_rotated_at: np,
      rate_limit_per_second: np,
      failing_since: np,
      created_by: pid("member who created the endpoint"),
      created_at: np,
      updated_at: np,
    },
  },
  webhook_messages: {
    subject: "contact",
    purpose: "outgoing webhooks: the event as sent to the workspace's endpoint, resent unchanged on every retry",
    retention: WEBHOOK,
    columns: {
      id: np,
      workspace_id: np,
      endpoint_id: np,
      event_id: np,
      event_type: np,
      body: personal(
        "contact_details",
        "delivering the event (a snapshot of the contact or interaction) to the workspace's endpoint",
        WEBHOOK,
      ),
      contact_ids: pid("contacts the body holds (to scrub it on erasure)", WEBHOOK),
      status: np,
      attempts: np,
      next_attempt_at: np,
      queued_until: np,
      lease_token: np,
      last_status_code: np,
      created_at: np,
      delivered_at: np,
    },
  },
  webhook_attempts: {
    subject: "contact",
    purpose: "outgoing webhooks: the delivery log shown to the workspace's admins",
    retention: WEBHOOK,
    columns: {
      id: np,
      message_id: np,
      endpoint_id: np,
      workspace_id: np,
      attempt: np,
      trigger: np,
      status_code: np,
      ok: np,
      duration_ms: np,
      request_headers: np,
      response_body: personal(
        "communication_content",
        "debugging deliveries (the receiver's answer may echo the event)",
        WEBHOOK,
      ),
      error: np,
      next_attempt_at: np,
      created_at: np,
    },
  },
  schema_migrations: {
    subject: "system",
    purpose: "database migrations bookkeeping",
    retention: "indefinite (no personal data)",
    columns: { version: np, name: np, checksum: np, applied_at: np },
  },
  gdpr_operations: {
    subject: "system",
    purpose: "record of data-subject requests (Art. 5(2) accountability, Art. 12 deadlines)",
    retention: AUDIT,
    columns: {
      id: np,
      workspace_id: np,
      type: np,
      subject_kind: np,
      subject_id: pid("opaque id of the data subject", AUDIT),
      reason: personal("request_data", "documenting the request", AUDIT),
      status: np,
      requested_by: pid("requesting user", AUDIT),
      authorized_by: pid("authorizing user", AUDIT),
      requested_at: np,
      due_at: np,
      effective_at: np,
      completed_at: np,
      updated_at: np,
    },
  },
  gdpr_suppressions: {
    subject: "contact",
    purpose: "keyed HMAC of an erased contact's address, kept only to stop re-importing the person",
    retention: "as long as the workspace",
    columns: {
      workspace_id: np,
      address_hmac: pid("suppression of re-import after erasure", "as long as the workspace"),
      created_at: np,
    },
  },
  contact_imports: {
    subject: "workspace",
    purpose:
      "contact imports: the options and counts of each run; the uploaded file (personal data of the people in it) lives in import storage until the run ends",
    retention: "rows as long as the workspace; the file deleted when its run ends, or a day after upload if never run",
    columns: {
      id: np,
      workspace_id: np,
      created_by: pid("member who uploaded the file"),
      format: np,
      status: np,
      options: np,
      total_rows: np,
      processed_rows: np,
      created_count: np,
      updated_count: np,
      unchanged_count: np,
      skipped_count: np,
      flagged_count: np,
      error: np,
      created_at: np,
      finished_at: np,
    },
  },
  contact_import_problems: {
    subject: "workspace",
    purpose:
      "an import's report: the rows it skipped and those it imported that may duplicate an existing contact (row number, field, fixed reason), never the cells themselves",
    retention: "with its import",
    columns: {
      import_id: np,
      row_number: np,
      field: np,
      reason: np,
      contact_id: pid("the existing contact a row matched (set null when it is purged or erased)"),
      outcome: np,
    },
  },
  contact_import_templates: {
    subject: "workspace",
    purpose: "reusable column mappings (header names to contact fields)",
    retention: "until deleted by a member, or with the workspace",
    columns: {
      id: np,
      workspace_id: np,
      name: np,
      mapping: np,
      created_by: pid("member who saved the mapping"),
      created_at: np,
      updated_at: np,
    },
  },
  saved_views: {
    subject: "user",
    purpose:
      "saved views of the contacts list (filters, sort, columns), private to a member or shared with the workspace",
    retention:
      "until deleted by their owner (or an admin, for shared ones); private ones with the owner's account, shared ones with the workspace",
    columns: {
      id: np,
      workspace_id: np,
      owner_id: pid("member who saved the view (cleared when they are erased; their private views are deleted)"),
      name: np,
      shared: np,
      filters: np,
      sort: np,
      columns: np,
      created_at: np,
      updated_at: np,
    },
  },
  gdpr_exports: {
    subject: "system",
    purpose:
      "Art. 15/20 export requests; the ZIP (personal data of one subject) lives in export storage under file_key",
    retention: "files 7 days after completion, or until a person they hold is erased; rows as the operations log",
    columns: {
      id: np,
      subject_kind: np,
      subject_id: pid("opaque id of the data subject"),
      workspace_id: np,
      requested_by: pid("requesting user"),
      status: np,
      progress: np,
      include: np,
      file_key: np,
      file_size_bytes: np,
      error: np,
      created_at: np,
      completed_at: np,
      expires_at: np,
      operation_id: np,
      discard_reason: np,
    },
  },
  gdpr_restrictions: {
    subject: "system",
    purpose: "Art. 18 restrictions in force",
    retention: "until the restriction is lifted",
    columns: {
      subject_kind: np,
      subject_id: pid("restricted subject"),
      workspace_id: np,
      restricted_by: pid("member who restricted"),
      created_at: np,
    },
  },
  notifications: {
    subject: "user",
    purpose: "telling a user what needs their attention (a disabled webhook, a mailbox to reconnect, an export ready)",
    retention:
      "notification retention (NOTIFICATION_RETENTION_DAYS, default 90 days), then deleted by the daily job; sooner when the user erases their account or the workspace is deleted",
    columns: {
      id: np,
      user_id: pid("recipient"),
      workspace_id: np,
      kind: np,
      event_id: np,
      payload: pid("ids of what the notification is about"),
      created_at: np,
      read_at: np,
    },
  },
  notification_preferences: {
    subject: "user",
    purpose: "which kinds of notification a user wants",
    retention: ACCOUNT,
    columns: {
      user_id: pid("account identifier"),
      choices: np,
      updated_at: np,
    },
  },
};

/** Every personal column as "table.column". */
export function personalColumns(): string[] {
  return Object.entries(INVENTORY).flatMap(([table, t]) =>
    Object.entries(t.columns).flatMap(([column, c]) => (c.kind === "personal" ? [`${table}.${column}`] : [])),
  );
}

/** Personal columns an erasure must clear (all but the documented Art. 17(3) exemptions). */
export function erasableColumns(): string[] {
  return Object.entries(INVENTORY).flatMap(([table, t]) =>
    Object.entries(t.columns).flatMap(([column, c]) =>
      c.kind === "personal" && !c.retainedOnErasure ? [`${table}.${column}`] : [],
    ),
  );
}

/** Retention per personal-data category (for gdpr.dataLocations and the records of processing). */
export function retentionByCategory(): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const t of Object.values(INVENTORY))
    for (const c of Object.values(t.columns))
      if (c.kind === "personal") (out[c.category] ??= new Set()).add(c.retention);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]]));
}

/** Columns of the database (table, column) that the inventory does not classify. */
export function unclassifiedColumns(columns: { table: string; column: string }[]): string[] {
  return columns
    .filter(({ table, column }) => !INVENTORY[table]?.columns[column])
    .map(({ table, column }) => `${table}.${column}`);
}

/** Inventory entries that no longer exist in the database (stale classification). */
export function staleInventoryEntries(columns: { table: string; column: string }[]): string[] {
  const present = new Set(columns.map(({ table, column }) => `${table}.${column}`));
  return Object.entries(INVENTORY)
    .flatMap(([table, t]) => Object.keys(t.columns).map((c) => `${table}.${c}`))
    .filter((c) => !present.has(c));
}
