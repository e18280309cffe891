import { gdprRestrictions, type Executor } from "@rapport/db";
import { and, eq, inArray, sql, type AnyColumn, type SQL } from "drizzle-orm";
import { forbidden } from "../../errors";
import type { CommitNotice, DomainEvent, DomainEventType } from "../events/types";

export const CONTACT_RESTRICTED_MESSAGE =
  "Processing is restricted for this contact (GDPR Art. 18); lift the restriction first.";

/** GDPR Art. 18: FORBIDDEN when any of the contacts is restricted (read in the caller's transaction). */
export async function assertNotRestricted(db: Executor, contactIds: string[]): Promise<void> {
  const ids = [...new Set(contactIds)];
  if (ids.length === 0) return;
  const [row] = await db
    .select({ id: gdprRestrictions.subjectId })
    .from(gdprRestrictions)
    .where(and(eq(gdprRestrictions.subjectKind, "contact"), inArray(gdprRestrictions.subjectId, ids)))
    .limit(1);
  if (row) throw forbidden(CONTACT_RESTRICTED_MESSAGE);
}

/**
 * GDPR Art. 18 as a condition: the contact `contactId` names restricts processing. A write that
 * must not alter a restricted contact puts `NOT contactRestricted(…)` in its own statement, so no
 * restriction can commit between a check and the write.
 */
export const contactRestricted = (contactId: SQL | AnyColumn): SQL =>
  sql`EXISTS (SELECT 1 FROM gdpr_restrictions r WHERE r.subject_kind = 'contact' AND r.subject_id = ${contactId})`;

const RELOAD_EVERY_MS = 60_000;
const RESTRICTION_EVENTS: ReadonlySet<DomainEventType> = new Set([
  "contact.restricted",
  "contact.unrestricted",
  "user.restricted",
  "user.unrestricted",
]);

/**
 * Which users and contacts restrict processing, held in memory so the hot read paths
 * (recommendations, analytics) pay no query for it. Loaded once, updated at once on
 * the instance that commits a change, on the others by the commit's wake-up naming its
 * `*.restricted` / `*.unrestricted` events and again by those events every instance hears
 * (milliseconds; each makes it read that subject's row, since events may arrive after a later
 * change was applied), and reloaded every minute as a backstop. Writes (interactions.create) check the table in their own
 * transaction instead (`assertNotRestricted`).
 */
export class RestrictionIndex {
  private subjects = new Set<string>();
  /** Per subject, bumped by every change and read: a read overtaken by a newer one is not applied. */
  private readonly versions = new Map<string, number>();
  private loaded: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly db: Executor) {}

  private static key(kind: "user" | "contact", id: string) {
    return `${kind}:${id}`;
  }

  private ensureLoaded(): Promise<void> {
    this.loaded ??= this.reload().catch((error: unknown) => {
      this.loaded = null;
      throw error;
    });
    return this.loaded;
  }

  async reload(): Promise<void> {
    const rows = await this.db
      .select({ kind: gdprRestrictions.subjectKind, id: gdprRestrictions.subjectId })
      .from(gdprRestrictions);
    this.subjects = new Set(rows.map((row) => RestrictionIndex.key(row.kind, row.id)));
    if (!this.timer) {
      this.timer = setInterval(() => void this.reload().catch(() => {}), RELOAD_EVERY_MS);
      this.timer.unref();
    }
  }

  set(kind: "user" | "contact", id: string, restricted: boolean): void {
    this.nextVersion(RestrictionIndex.key(kind, id));
    this.apply(RestrictionIndex.key(kind, id), restricted);
  }

  private apply(key: string, restricted: boolean): void {
    if (restricted) this.subjects.add(key);
    else this.subjects.delete(key);
  }

  private nextVersion(key: string): number {
    const version = (this.versions.get(key) ?? 0) + 1;
    this.versions.set(key, version);
    return version;
  }

  /**
   * Reads one subject's state from the table. An event only says that the state changed:
   * the bus may bring a `restricted` event after this instance already applied the later
   * lifting, so the table decides, and a read that a newer change overtook is dropped.
   */
  private async refresh(kind: "user" | "contact", id: string): Promise<void> {
    const key = RestrictionIndex.key(kind, id);
    const version = this.nextVersion(key);
    const rows = await this.db
      .select({ id: gdprRestrictions.subjectId })
      .from(gdprRestrictions)
      .where(and(eq(gdprRestrictions.subjectKind, kind), eq(gdprRestrictions.subjectId, id)))
      .limit(1);
    if (this.versions.get(key) === version) this.apply(key, rows.length > 0);
  }

  async isRestricted(kind: "user" | "contact", id: string): Promise<boolean> {
    await this.ensureLoaded();
    return this.subjects.has(RestrictionIndex.key(kind, id));
  }

  /** The ids among `contactIds` whose processing is restricted. */
  async restrictedContacts(contactIds: string[]): Promise<Set<string>> {
    await this.ensureLoaded();
    return new Set(contactIds.filter((id) => this.subjects.has(RestrictionIndex.key("contact", id))));
  }

  /**
   * A commit on any instance (its wake-up: through Redis from the others) refreshes the subjects
   * it restricted or lifted at once; `onEvent`, when the relayed event comes, again (the
   * fallback when a wake-up is lost). An event named without its payload reloads the index.
   */
  onCommit(commit: CommitNotice): void {
    for (const event of commit.events ?? []) {
      if (!RESTRICTION_EVENTS.has(event.type)) continue;
      if (event.detail) this.onEvent({ type: event.type, payload: event.detail.payload });
      else this.reload().catch(() => {});
    }
  }

  onEvent(event: Pick<DomainEvent, "type" | "payload">): void {
    const payload = event.payload as { contactId?: string; userId?: string };
    const subject =
      event.type === "contact.restricted" || event.type === "contact.unrestricted"
        ? payload.contactId && { kind: "contact" as const, id: payload.contactId }
        : event.type === "user.restricted" || event.type === "user.unrestricted"
          ? payload.userId && { kind: "user" as const, id: payload.userId }
          : null;
    // Unreadable now (the database away): the minute's reload brings the index back.
    if (subject) this.refresh(subject.kind, subject.id).catch(() => {});
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
