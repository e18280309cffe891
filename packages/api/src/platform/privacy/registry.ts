import type { Tx } from "@rapport/db";
import { EXPORT_SECTIONS, type ExportFile, type ExportSectionName } from "./export-sources";

/**
 * GDPR registry. Each module that owns personal data registers one
 * PrivacyHandler next to its own code (modules/<module>/privacy.ts). The GDPR
 * engines (export, erasure, restriction) only iterate the registry; they never
 * know table names themselves.
 */

/** Who the request is about. Opaque ids only: never an email or a name. */
interface UserSubject {
  kind: "user";
  userId: string;
}
interface ContactSubject {
  kind: "contact";
  workspaceId: string;
  contactId: string;
}
export type Subject = UserSubject | ContactSubject;

export interface EraseContext {
  /** Opaque id of the operation (gdpr_operations.id) driving the erasure. */
  operationId: string;
  /** Now, from the runtime clock. */
  now: Date;
  /** Contact erasure: the subject's normalized addresses, captured before any handler ran. */
  addresses?: string[];
  /**
   * Contact erasure: the values that identify the subject (email, name, phone), captured
   * before any handler ran, so handlers can clear free text elsewhere that names them.
   * Never persist or log these.
   */
  terms?: string[];
}

/** Values that identified a contact, as found in a module's records (never persisted or logged). */
export interface ContactIdentity {
  emails: string[];
  terms: string[];
}

/** Columns a handler erases, as "table.column" (checked against the inventory by a test). */
type ColumnRef = `${string}.${string}`;

export interface PrivacyHandler {
  /** Owning module, e.g. "contacts". */
  module: string;
  /** Every personal column this handler erases/clears/deletes ("table.column"). */
  erases: ColumnRef[];
  /**
   * The export files (Art. 15/20) this module contributes about an account user: what each
   * holds (for README.txt), its count, and its records read a page at a time (see ./export-sources.ts).
   */
  exportUser?(userId: string): ExportFile[];
  /** The export files about a contact in one workspace (Art. 15/20 answered by the workspace). */
  exportContact?(workspaceId: string, contactId: string): ExportFile[];
  /** Erase (anonymize or delete) the user's personal data, inside the erasure transaction. */
  eraseUser?(tx: Tx, userId: string, ctx: EraseContext): Promise<void>;
  /**
   * Contact erasure: the other addresses and identifying values (name, phone) this module keeps
   * of the same person in the workspace (e.g. a contact merged into this one), read before any
   * handler erases, so that every address the person had is suppressed and every name cleared.
   */
  contactIdentity?(tx: Tx, workspaceId: string, contactId: string): Promise<ContactIdentity>;
  /** Erase the contact's personal data and data naming it, inside the erasure transaction. */
  eraseContact?(tx: Tx, workspaceId: string, contactId: string, ctx: EraseContext): Promise<void>;
  /**
   * Work that must happen inside the workspace deletion's transaction before its rows cascade
   * away (e.g. queueing secrets that must be revoked elsewhere, which the cascade would lose).
   */
  eraseWorkspace?(tx: Tx, workspaceId: string, ctx: { now: Date }): Promise<void>;
  /** Human-readable list of processing that stops while the subject is restricted. */
  restricts?(subject: Subject): string[];
}

export class PrivacyRegistry {
  private readonly handlers: PrivacyHandler[] = [];

  register(handler: PrivacyHandler): this {
    if (this.handlers.some((h) => h.module === handler.module))
      throw new Error(`privacy handler for ${handler.module} registered twice`);
    this.handlers.push(handler);
    return this;
  }

  all(): readonly PrivacyHandler[] {
    return this.handlers;
  }

  /**
   * Every registered handler's export files about the subject whose section is in `include`,
   * in the order of EXPORT_SECTIONS (registration order within a section).
   */
  exportFiles(subject: Subject, include: ReadonlySet<ExportSectionName> = new Set(EXPORT_SECTIONS)): ExportFile[] {
    const files = this.handlers
      .flatMap(
        (h) =>
          (subject.kind === "user"
            ? h.exportUser?.(subject.userId)
            : h.exportContact?.(subject.workspaceId, subject.contactId)) ?? [],
      )
      .filter((file) => include.has(file.section))
      .sort((a, b) => EXPORT_SECTIONS.indexOf(a.section) - EXPORT_SECTIONS.indexOf(b.section));
    const names = files.map((file) => file.file);
    const twice = names.find((name, i) => names.indexOf(name) !== i);
    if (twice) throw new Error(`export file ${twice} defined by two privacy handlers`);
    return files;
  }

  async eraseSubject(tx: Tx, subject: Subject, ctx: EraseContext): Promise<void> {
    for (const h of this.handlers) {
      if (subject.kind === "user" && h.eraseUser) await h.eraseUser(tx, subject.userId, ctx);
      if (subject.kind === "contact" && h.eraseContact)
        await h.eraseContact(tx, subject.workspaceId, subject.contactId, ctx);
    }
  }

  /** Every handler's `contactIdentity`, joined (call before `eraseSubject`). */
  async contactIdentity(tx: Tx, workspaceId: string, contactId: string): Promise<ContactIdentity> {
    const found: ContactIdentity = { emails: [], terms: [] };
    for (const h of this.handlers) {
      const identity = await h.contactIdentity?.(tx, workspaceId, contactId);
      if (!identity) continue;
      found.emails.push(...identity.emails);
      found.terms.push(...identity.terms);
    }
    return found;
  }

  /** Every handler's workspace hook, in registration order (inside the deletion's transaction). */
  async eraseWorkspace(tx: Tx, workspaceId: string, ctx: { now: Date }): Promise<void> {
    for (const h of this.handlers) if (h.eraseWorkspace) await h.eraseWorkspace(tx, workspaceId, ctx);
  }

  restrictions(subject: Subject): string[] {
    return this.handlers.flatMap((h) => h.restricts?.(subject) ?? []);
  }

  /** Union of every handler's erased columns ("table.column"). */
  erasedColumns(): Set<string> {
    return new Set(this.handlers.flatMap((h) => h.erases));
  }
}
