/**
 * What an export contains, per subject kind: each file is read a batch of rows
 * at a time, in the order of a unique, indexed column, so the ZIP is written a
 * page at a time and memory stays bounded however large the workspace.
 *
 * The large files (contacts, interactions, activity, audit) are read as JSON
 * text: Postgres writes each record with `row_to_json` over the same columns,
 * under the same keys and in the same order as the drizzle select they replace,
 * timestamps formatted as `Date#toJSON` writes them (see `jsonPages`), so the
 * files hold the same bytes as before — except jsonb values (event payloads,
 * audit metadata), which come in Postgres's canonical form (`{"a": 1}`, same
 * JSON). Node copies the bytes into the ZIP stream instead of building a row
 * object with two `Date`s per record and serializing it again, which was most of
 * the export's CPU. On PostgreSQL each file is one query read through a cursor
 * (./stream.ts); elsewhere (PGlite) keyset pages. The small or nested files
 * (profile, preferences, a contact's interactions with their participants) are
 * still drizzle rows serialized here.
 *
 * TODO(gdpr registry): packages/api/src/modules/gdpr/registry.ts has per-module
 * `exportUser`/`exportContact` hooks, but they return whole arrays (`records:
 * unknown[]`), which does not bound memory for 200,000 interactions. Once the
 * registry grows a paged hook (e.g. `exportPages(db, subject): AsyncIterable<rows>`)
 * each module should own its part of this file and the engine should iterate it.
 */
import {
  analyticsSettings,
  auditLog,
  contacts,
  domainEvents,
  interactionParticipants,
  interactions,
  memberships,
  sessions,
  users,
  workspaces,
  queryRows,
  type Db,
} from "@rapport/db";
import { and, asc, count, eq, gt, inArray, or, sql, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { cursorBatches } from "./stream";

export const EXPORT_SECTIONS = ["profile", "contacts", "interactions", "preferences", "activity", "audit"] as const;
export type ExportSectionName = (typeof EXPORT_SECTIONS)[number];

export type Subject = { kind: "user"; userId: string } | { kind: "contact"; workspaceId: string; contactId: string };

interface ExportFileInfo {
  section: ExportSectionName;
  file: string;
  /** For README.txt. */
  holds: string;
  purpose: string;
  categories: string;
  recipients: string;
  retention: string;
  source: string;
  count(db: Db): Promise<number>;
}

/** One JSON file of the ZIP: one object (`single`, written indented), or an array of records. */
export type ExportFile =
  | (ExportFileInfo & { single: true; read(db: Db): Promise<unknown> })
  | (ExportFileInfo & {
      single?: false;
      /** The records as JSON, a page at a time, in a stable order. */
      pages(db: Db, pageSize: number): AsyncIterable<JsonPage>;
    });

export const PAGE_SIZE = 2_000;

/** Keyset pagination over `key` (unique) with a fixed filter. */
async function* keyset<T extends Record<string, unknown>>(
  fetch: (after: SQL | undefined, limit: number) => Promise<T[]>,
  key: PgColumn,
  keyOf: (row: T) => unknown,
  pageSize: number,
): AsyncIterable<T[]> {
  let last: unknown;
  for (;;) {
    const rows = await fetch(last === undefined ? undefined : gt(key, last), pageSize);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < pageSize) return;
    last = keyOf(rows[rows.length - 1]!);
  }
}

/** A page of an array file: `rows` records as UTF-8 JSON, joined by ",\n" (one record per line). */
export interface JsonPage {
  rows: number;
  json: Buffer;
}

const toJson = (rows: readonly unknown[]): JsonPage => jsonPage(rows.map((row) => JSON.stringify(row)));

/** `Date#toJSON`'s format (UTC, milliseconds, "Z"); both truncate sub-millisecond digits. */
const ISO_MILLIS = sql.raw(`'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`);

/**
 * A column under `name` as the JSON value a drizzle select of it would serialize to:
 * timestamps as `Date#toJSON` text, everything else as `row_to_json` writes it
 * (uuid/text as strings, text[] as arrays, bigint ids as numbers, jsonb embedded).
 */
function jsonField(name: string, column: PgColumn): SQL {
  const type = column.getSQLType();
  const value = !type.startsWith("timestamp")
    ? sql`${column}`
    : type.includes("with time zone")
      ? sql`to_char(${column} AT TIME ZONE 'UTC', ${ISO_MILLIS})`
      : sql`to_char(${column}, ${ISO_MILLIS})`;
  return sql`${value} AS ${sql.identifier(name)}`;
}

/** `texts` (one JSON record each) as one page: UTF-8, one record per line. */
function jsonPage(texts: readonly string[]): JsonPage {
  let bytes = Math.max(0, texts.length - 1) * 2;
  for (const text of texts) bytes += Buffer.byteLength(text);
  const json = Buffer.allocUnsafe(bytes);
  let at = 0;
  texts.forEach((text, i) => {
    if (i > 0) at += json.write(",\n", at, "latin1");
    at += json.write(text, at);
  });
  return { rows: texts.length, json };
}

/**
 * A cursor batch (raw rows whose first column is a record's UTF-8 JSON) as one page,
 * one record per line. Each row's reference to its buffer is dropped once copied: the
 * row arrays may sit in V8's old generation, and from there they would keep the
 * buffers — slices of the socket reads — alive until the next full GC (see ./stream.ts).
 */
function bytesPage(batch: (Buffer | null)[][]): JsonPage {
  const rows = batch.length;
  let bytes = Math.max(0, rows - 1) * 2;
  for (const row of batch) bytes += row[0]?.length ?? 4;
  const json = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (let i = 0; i < rows; i++) {
    const row = batch[i]!;
    if (i > 0) at += json.write(",\n", at, "latin1");
    at += row[0] ? row[0].copy(json, at) : json.write("null", at, "latin1");
    row[0] = null;
  }
  batch.length = 0;
  return { rows, json };
}

/**
 * `table`'s rows in `scope`, ordered by `columns.id` (unique and indexed), as JSON
 * pages of up to `pageSize` records. `keyFromText` turns the text of an id back into
 * a value for the next keyset page (`Number` for bigint ids).
 */
async function* jsonPages(
  db: Db,
  table: PgTable,
  columns: Record<string, PgColumn> & { id: PgColumn },
  scope: SQL,
  pageSize: number,
  keyFromText: (key: string) => unknown = (key) => key,
): AsyncIterable<JsonPage> {
  const fields = sql.join(
    Object.entries(columns).map(([name, column]) => jsonField(name, column)),
    sql`, `,
  );
  const ordered = (where: SQL) => sql`SELECT ${fields} FROM ${table} WHERE ${where} ORDER BY ${columns.id}`;

  const batches = cursorBatches(db, sql`SELECT row_to_json(r)::text AS json FROM (${ordered(scope)}) r ORDER BY r.id`, pageSize);
  if (batches) {
    for await (const batch of batches) yield bytesPage(batch);
    return;
  }
  let after: unknown;
  for (;;) {
    const where = after === undefined ? scope : and(scope, gt(columns.id, after))!;
    const rows = await queryRows<{ json: string; key: string }>(db, sql`SELECT row_to_json(r)::text AS json, r.id::text AS key FROM (${ordered(where)} LIMIT ${pageSize}) r ORDER BY r.id`);
    if (rows.length > 0) yield jsonPage(rows.map((row) => row.json));
    if (rows.length < pageSize) return;
    after = keyFromText(rows[rows.length - 1]!.key);
  }
}

const numericKey = (key: string) => Number(key);

const one = async (query: Promise<{ n: number }[]>) => Number((await query)[0]?.n ?? 0);

const contactColumns = {
  id: contacts.id,
  workspaceId: contacts.workspaceId,
  name: contacts.name,
  email: contacts.email,
  company: contacts.company,
  title: contacts.title,
  phone: contacts.phone,
  tags: contacts.tags,
  source: contacts.source,
  createdBy: contacts.createdBy,
  createdAt: contacts.createdAt,
  updatedAt: contacts.updatedAt,
  deletedAt: contacts.deletedAt,
};

const interactionColumns = {
  id: interactions.id,
  workspaceId: interactions.workspaceId,
  contactId: interactions.contactId,
  type: interactions.type,
  direction: interactions.direction,
  occurredAt: interactions.occurredAt,
  subject: interactions.subject,
  summary: interactions.summary,
  source: interactions.source,
  externalId: interactions.externalId,
  createdBy: interactions.createdBy,
  createdAt: interactions.createdAt,
};

const auditColumns = {
  id: auditLog.id,
  workspaceId: auditLog.workspaceId,
  actorId: auditLog.actorId,
  action: auditLog.action,
  targetType: auditLog.targetType,
  targetId: auditLog.targetId,
  ip: auditLog.ip,
  userAgent: auditLog.userAgent,
  metadata: auditLog.metadata,
  createdAt: auditLog.createdAt,
};

const eventColumns = {
  id: domainEvents.id,
  workspaceId: domainEvents.workspaceId,
  actorId: domainEvents.actorId,
  type: domainEvents.type,
  payload: domainEvents.payload,
  createdAt: domainEvents.createdAt,
};

const RIGHTS_RETENTION_AUDIT = "audit entries are kept 7 years (accountability, Art. 5(2) GDPR), then deleted";

/** The user's own account data, and the CRM data of workspaces they own or records they created. */
export function userFiles(userId: string): ExportFile[] {
  // Contacts/interactions the user is responsible for: every record of a workspace they own,
  // and any record they created elsewhere.
  const owned = sql`(SELECT ${memberships.workspaceId} FROM ${memberships} WHERE ${memberships.userId} = ${userId} AND ${memberships.role} = 'owner')`;
  const contactScope = or(sql`${contacts.workspaceId} IN ${owned}`, eq(contacts.createdBy, userId))!;
  const interactionScope = or(sql`${interactions.workspaceId} IN ${owned}`, eq(interactions.createdBy, userId))!;
  const auditScope = or(eq(auditLog.actorId, userId), and(eq(auditLog.targetType, "user"), eq(auditLog.targetId, userId)))!;
  return [
    {
      section: "profile",
      file: "profile.json",
      single: true,
      holds: "your account (name, email, sign-up date), your workspace memberships and your sign-in sessions (IP address, browser). Your password is stored only as a one-way hash and is not included.",
      purpose: "providing your account and keeping it secure (contract, Art. 6(1)(b); security, Art. 6(1)(f))",
      categories: "identity, contact details, technical/connection data",
      recipients: "Rapport (processor) and its hosting provider; the other members of your workspaces see your name and email",
      retention: "while your account exists; sessions until revoked or expired, then deleted",
      source: "you, when you signed up and signed in",
      count: async () => 1,
      async read(db) {
        const [user] = await db
          .select({ id: users.id, email: users.email, name: users.name, createdAt: users.createdAt, updatedAt: users.updatedAt })
          .from(users)
          .where(eq(users.id, userId));
        const memberOf = await db
          .select({ workspaceId: memberships.workspaceId, workspaceName: workspaces.name, role: memberships.role, createdAt: memberships.createdAt })
          .from(memberships)
          .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
          .where(eq(memberships.userId, userId))
          .orderBy(asc(memberships.createdAt));
        const sessionRows = await db
          .select({ id: sessions.id, createdAt: sessions.createdAt, lastUsedAt: sessions.lastUsedAt, revokedAt: sessions.revokedAt, revokedReason: sessions.revokedReason, ip: sessions.ip, userAgent: sessions.userAgent })
          .from(sessions)
          .where(eq(sessions.userId, userId))
          .orderBy(asc(sessions.createdAt), asc(sessions.id));
        return { user: user ?? null, memberships: memberOf, sessions: sessionRows };
      },
    },
    {
      section: "contacts",
      file: "contacts.json",
      holds: "the contacts of the workspaces you own and the contacts you created in other workspaces",
      purpose: "your relationship management (the workspace's CRM records)",
      categories: "identity and contact details of third parties, professional information, tags",
      recipients: "the members of the workspace; Rapport as processor",
      retention: "until deleted by the workspace; deleted contacts are purged after the soft-delete retention (default 30 days)",
      source: "entered by you or your team, imported from a file, or imported from a connected Gmail account (see each record's `source`)",
      count: (db) => one(db.select({ n: count() }).from(contacts).where(contactScope)),
      pages: (db, size) => jsonPages(db, contacts, contactColumns, contactScope, size),
    },
    {
      section: "interactions",
      file: "interactions.json",
      holds: "the interactions (emails, meetings, calls, notes) of the workspaces you own and those you recorded elsewhere",
      purpose: "your relationship management: history, recommendations and analytics",
      categories: "communication metadata and content (subjects, summaries)",
      recipients: "the members of the workspace; Rapport as processor",
      retention: "as long as the contact they belong to",
      source: "entered by you or your team, imported from a file or calendar, or imported from your Gmail (see each record's `source`)",
      count: (db) => one(db.select({ n: count() }).from(interactions).where(interactionScope)),
      pages: (db, size) => jsonPages(db, interactions, interactionColumns, interactionScope, size),
    },
    {
      section: "preferences",
      file: "preferences.json",
      holds: "settings you changed: analytics interaction values and thresholds of workspaces where you last edited them",
      purpose: "applying your settings",
      categories: "preferences",
      recipients: "the members of the workspace",
      retention: "while the workspace exists",
      source: "you",
      count: (db) => one(db.select({ n: count() }).from(analyticsSettings).where(eq(analyticsSettings.updatedBy, userId))),
      async *pages(db) {
        yield toJson(await db.select().from(analyticsSettings).where(eq(analyticsSettings.updatedBy, userId)).orderBy(asc(analyticsSettings.workspaceId)));
      },
    },
    {
      section: "activity",
      file: "activity.json",
      holds: "the activity feed entries of things you did (created, changed or deleted records, membership changes)",
      purpose: "showing your team what changed, and driving recommendations and caches",
      categories: "usage data",
      recipients: "the members of the workspace",
      retention: "while the workspace exists",
      source: "generated by Rapport when you used it",
      count: (db) => one(db.select({ n: count() }).from(domainEvents).where(eq(domainEvents.actorId, userId))),
      pages: (db, size) => jsonPages(db, domainEvents, eventColumns, eq(domainEvents.actorId, userId), size, numericKey),
    },
    {
      section: "audit",
      file: "audit.json",
      holds: "security audit entries of actions you performed or that concerned your account (sign-ins, changes), with IP address and browser",
      purpose: "security and accountability (legitimate interest, Art. 6(1)(f); Art. 5(2))",
      categories: "technical/connection data, usage data (subjects referred to by opaque id only)",
      recipients: "workspace owners and admins (for workspace entries); Rapport as processor",
      retention: RIGHTS_RETENTION_AUDIT,
      source: "generated by Rapport when you used it",
      count: (db) => one(db.select({ n: count() }).from(auditLog).where(auditScope)),
      pages: (db, size) => jsonPages(db, auditLog, auditColumns, auditScope, size, numericKey),
    },
  ];
}

/** A contact's data held by one workspace (the controller), answered by its owners/admins. */
export function contactFiles(workspaceId: string, contactId: string): ExportFile[] {
  const contactScope = and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId))!;
  const interactionScope = and(eq(interactions.workspaceId, workspaceId), eq(interactions.contactId, contactId))!;
  const namedIn = sql`${interactions.id} IN (SELECT ${interactionParticipants.interactionId} FROM ${interactionParticipants} WHERE ${interactionParticipants.workspaceId} = ${workspaceId} AND ${interactionParticipants.contactId} = ${contactId})`;
  const allInteractions = and(eq(interactions.workspaceId, workspaceId), or(eq(interactions.contactId, contactId), namedIn))!;
  const activityScope = and(eq(domainEvents.workspaceId, workspaceId), or(sql`${domainEvents.payload}->>'contactId' = ${contactId}`, sql`${domainEvents.payload}->'contactIds' ? ${contactId}`))!;
  const auditScope = and(eq(auditLog.workspaceId, workspaceId), eq(auditLog.targetId, contactId))!;
  void interactionScope;
  return [
    {
      section: "profile",
      file: "profile.json",
      single: true,
      holds: "your record in this workspace's contact list: name, email, company, title, phone, tags",
      purpose: "the workspace's relationship management (the workspace is the controller; Rapport is its processor)",
      categories: "identity, contact details, professional information",
      recipients: "the members of the workspace; Rapport as processor and its hosting provider; Google when the workspace syncs Gmail",
      retention: "until the workspace deletes the record; deleted records are purged after the soft-delete retention (default 30 days)",
      source: "see `source`: entered manually, imported from a file, or imported from a connected Gmail account",
      count: async () => 1,
      async read(db) {
        const [row] = await db.select(contactColumns).from(contacts).where(contactScope);
        return row ?? null;
      },
    },
    {
      section: "interactions",
      file: "interactions.json",
      holds: "interactions with you recorded by the workspace (emails, meetings, calls, notes), including those you took part in, with the participants listed under `participants`",
      purpose: "the workspace's relationship history, recommendations and analytics",
      categories: "communication metadata and content (subjects, summaries, participant addresses)",
      recipients: "the members of the workspace; Rapport as processor",
      retention: "as long as your contact record",
      source: "entered by the workspace's members, imported from a file or calendar, or imported from a connected Gmail account (see `source`)",
      count: (db) => one(db.select({ n: count() }).from(interactions).where(allInteractions)),
      async *pages(db, size) {
        for await (const page of keyset(
          (after, limit) => db.select(interactionColumns).from(interactions).where(after ? and(allInteractions, after) : allInteractions).orderBy(asc(interactions.id)).limit(limit),
          interactions.id,
          (row) => row.id,
          size,
        )) {
          const participants = await db
            .select({ interactionId: interactionParticipants.interactionId, contactId: interactionParticipants.contactId, email: interactionParticipants.email, displayName: interactionParticipants.displayName, role: interactionParticipants.role })
            .from(interactionParticipants)
            .where(inArray(interactionParticipants.interactionId, page.map((row) => row.id)))
            .orderBy(asc(interactionParticipants.id));
          yield toJson(page.map((row) => ({ ...row, participants: participants.filter((p) => p.interactionId === row.id).map(({ interactionId: _, ...p }) => p) })));
        }
      },
    },
    {
      section: "activity",
      file: "activity.json",
      holds: "activity feed entries about your record (created, changed, deleted)",
      purpose: "showing the workspace's team what changed",
      categories: "record history",
      recipients: "the members of the workspace",
      retention: "while the workspace exists",
      source: "generated by Rapport",
      count: (db) => one(db.select({ n: count() }).from(domainEvents).where(activityScope)),
      pages: (db, size) => jsonPages(db, domainEvents, eventColumns, activityScope, size, numericKey),
    },
    {
      section: "audit",
      file: "audit.json",
      holds: "audit entries about your record (who changed it and when; you are referred to by opaque id only)",
      purpose: "security and accountability (Art. 5(2))",
      categories: "record history",
      recipients: "workspace owners and admins",
      retention: RIGHTS_RETENTION_AUDIT,
      source: "generated by Rapport",
      count: (db) => one(db.select({ n: count() }).from(auditLog).where(auditScope)),
      pages: (db, size) => jsonPages(db, auditLog, auditColumns, auditScope, size, numericKey),
    },
  ];
}
