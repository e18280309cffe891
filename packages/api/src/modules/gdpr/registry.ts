import type { Executor, Tx } from "@rapport/db";

/**
 * GDPR registry (issue 6). Each module that owns personal data registers one
 * PrivacyHandler next to its own code (modules/<module>/privacy.ts). The GDPR
 * engines (export, erasure, restriction) only iterate the registry; they never
 * know table names themselves.
 */

/** Who the request is about. Opaque ids only: never an email or a name. */
export interface UserSubject {
  kind: "user";
  userId: string;
}
export interface ContactSubject {
  kind: "contact";
  workspaceId: string;
  contactId: string;
}
export type Subject = UserSubject | ContactSubject;

/** One file's worth of records a module contributes to an export (e.g. "contacts.json"). */
export interface ExportSection {
  /** File name inside the ZIP, e.g. "profile.json". Sections with the same file are concatenated. */
  file: string;
  /** The records, plain JSON-serialisable rows. */
  records: unknown[];
  /** Human-readable description for README.txt (purpose, source, …). */
  description?: string;
}

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

/** Columns a handler erases, as "table.column" (checked against the inventory by a test). */
export type ColumnRef = `${string}.${string}`;

export interface PrivacyHandler {
  /** Owning module, e.g. "contacts". */
  module: string;
  /** Every personal column this handler erases/clears/deletes ("table.column"). */
  erases: ColumnRef[];
  /** Records about an account user (Art. 15/20). */
  exportUser?(db: Executor, userId: string): Promise<ExportSection[]>;
  /** Records about a contact in one workspace (Art. 15/20 answered by the workspace). */
  exportContact?(db: Executor, workspaceId: string, contactId: string): Promise<ExportSection[]>;
  /** Erase (anonymize or delete) the user's personal data, inside the erasure transaction. */
  eraseUser?(tx: Tx, userId: string, ctx: EraseContext): Promise<void>;
  /** Erase the contact's personal data and data naming it, inside the erasure transaction. */
  eraseContact?(tx: Tx, workspaceId: string, contactId: string, ctx: EraseContext): Promise<void>;
  /** Human-readable list of processing that stops while the subject is restricted. */
  restricts?(subject: Subject): string[];
}

export class PrivacyRegistry {
  private readonly handlers: PrivacyHandler[] = [];

  register(handler: PrivacyHandler): this {
    if (this.handlers.some((h) => h.module === handler.module)) throw new Error(`privacy handler for ${handler.module} registered twice`);
    this.handlers.push(handler);
    return this;
  }

  all(): readonly PrivacyHandler[] {
    return this.handlers;
  }

  /** Every registered handler's sections for the subject, in registration order. */
  async exportSubject(db: Executor, subject: Subject): Promise<ExportSection[]> {
    const sections: ExportSection[] = [];
    for (const h of this.handlers) {
      if (subject.kind === "user" && h.exportUser) sections.push(...(await h.exportUser(db, subject.userId)));
      if (subject.kind === "contact" && h.exportContact) sections.push(...(await h.exportContact(db, subject.workspaceId, subject.contactId)));
    }
    return sections;
  }

  async eraseSubject(tx: Tx, subject: Subject, ctx: EraseContext): Promise<void> {
    for (const h of this.handlers) {
      if (subject.kind === "user" && h.eraseUser) await h.eraseUser(tx, subject.userId, ctx);
      if (subject.kind === "contact" && h.eraseContact) await h.eraseContact(tx, subject.workspaceId, subject.contactId, ctx);
    }
  }

  restrictions(subject: Subject): string[] {
    return this.handlers.flatMap((h) => h.restricts?.(subject) ?? []);
  }

  /** Union of every handler's erased columns ("table.column"). */
  erasedColumns(): Set<string> {
    return new Set(this.handlers.flatMap((h) => h.erases));
  }
}
