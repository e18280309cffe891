import type { CreateTaskInput, ListTasksInput, TaskRefInput, UpdateTaskInput } from "@rapport/core/schemas";
import { contacts, interactions, queryRows, tasks, type Executor, type Tx } from "@rapport/db";
import { and, eq, isNull, sql, type SQL } from "drizzle-orm";
import { badRequest, conflict, notFound } from "../../errors";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import type { Actor } from "../../platform/actor";
import type { ServiceDeps } from "../../platform/deps";
import { appendEvents } from "../../platform/events/outbox";
import { assertNotRestricted } from "../../platform/privacy/restriction";
import { isMemberSql } from "../workspaces/public";

export type Task = typeof tasks.$inferSelect;

/** A follow-up as lists show it: with the contact's current name (null once deleted or gone). */
export interface ListedTask {
  id: string;
  title: string;
  dueAt: Date;
  contactId: string | null;
  contactName: string | null;
  interactionId: string | null;
  assigneeId: string | null;
  createdBy: string | null;
  completedAt: Date | null;
  overdue: boolean;
}

interface TaskRow {
  id: string;
  title: string;
  due_at: Date | string;
  contact_id: string | null;
  contact_name: string | null;
  interaction_id: string | null;
  assignee_id: string | null;
  created_by: string | null;
  completed_at: Date | string | null;
  overdue: boolean;
  sort_key: string;
}

const REMINDER_BATCH = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class TaskService {
  constructor(private readonly deps: ServiceDeps) {}

  async create(input: CreateTaskInput, actor: Actor): Promise<Task> {
    await this.checkAssignee(input.workspaceId, input.assigneeId);
    return this.deps.transaction(async (tx) => {
      await this.checkLinks(tx, input.workspaceId, input);
      const [task] = await tx
        .insert(tasks)
        .values({
          workspaceId: input.workspaceId,
          title: input.title,
          dueAt: input.dueAt,
          contactId: input.contactId ?? null,
          interactionId: input.interactionId ?? null,
          assigneeId: input.assigneeId ?? null,
          createdBy: actor.actorId,
        })
        .returning();
      await appendEvents(tx, [
        {
          type: "task.created",
          workspaceId: input.workspaceId,
          actorId: actor.actorId,
          payload: { taskId: task!.id, contactId: task!.contactId, assigneeId: task!.assigneeId },
        },
      ]);
      return task!;
    });
  }

  async update(input: UpdateTaskInput, actor: Actor): Promise<Task> {
    await this.checkAssignee(input.workspaceId, input.patch.assigneeId);
    return this.deps.transaction(async (tx) => {
      const current = await this.lock(tx, input);
      const { patch } = input;
      await this.checkLinks(tx, input.workspaceId, { contactId: patch.contactId ?? undefined });
      const changes: Partial<Task> = {};
      if (patch.title !== undefined && patch.title !== current.title) changes.title = patch.title;
      if (patch.dueAt !== undefined && patch.dueAt.getTime() !== current.dueAt.getTime()) {
        changes.dueAt = patch.dueAt;
        // A new due date earns a new reminder.
        changes.remindedAt = null;
      }
      if (patch.contactId !== undefined && patch.contactId !== current.contactId) {
        changes.contactId = patch.contactId;
        // The timeline item belonged to the previous contact.
        changes.interactionId = null;
      }
      if (patch.assigneeId !== undefined && patch.assigneeId !== current.assigneeId)
        changes.assigneeId = patch.assigneeId;
      const fields = Object.keys(changes).filter((field) => field !== "remindedAt" && field !== "interactionId");
      if (fields.length === 0) return current;
      const [updated] = await tx
        .update(tasks)
        .set({ ...changes, updatedAt: this.deps.clock.now() })
        .where(eq(tasks.id, current.id))
        .returning();
      await appendEvents(tx, [
        {
          type: "task.updated",
          workspaceId: input.workspaceId,
          actorId: actor.actorId,
          payload: { taskId: current.id, contactId: updated!.contactId, fields },
        },
      ]);
      return updated!;
    });
  }

  async complete(input: TaskRefInput, actor: Actor): Promise<Task> {
    return this.setCompleted(input, actor, true);
  }

  async reopen(input: TaskRefInput, actor: Actor): Promise<Task> {
    return this.setCompleted(input, actor, false);
  }

  async delete(input: TaskRefInput, actor: Actor): Promise<{ deletedId: string }> {
    return this.deps.transaction(async (tx) => {
      const current = await this.lock(tx, input);
      await tx.delete(tasks).where(eq(tasks.id, current.id));
      await appendEvents(tx, [
        {
          type: "task.deleted",
          workspaceId: input.workspaceId,
          actorId: actor.actorId,
          payload: { taskId: current.id, contactId: current.contactId },
        },
      ]);
      return { deletedId: current.id };
    });
  }

  /**
   * A page of follow-ups. Open views are ordered by due time (soonest first), `done` by
   * completion (latest first); "today" is the caller's calendar day in `timeZone`.
   */
  async list(input: ListTasksInput, userId: string): Promise<{ items: ListedTask[]; nextCursor: string | null }> {
    const now = this.deps.clock.now();
    const nowAt = sql`${now.toISOString()}::timestamptz`;
    const localDay = (column: SQL) => sql`(${column} AT TIME ZONE ${input.timeZone})::date`;
    const conditions: SQL[] = [sql`t.workspace_id = ${input.workspaceId}`];
    if (input.assignee === "me")
      conditions.push(sql`(t.assignee_id = ${userId} OR (t.assignee_id IS NULL AND t.created_by = ${userId}))`);
    if (input.contactId) conditions.push(sql`t.contact_id = ${input.contactId}`);
    const done = input.view === "done";
    conditions.push(done ? sql`t.completed_at IS NOT NULL` : sql`t.completed_at IS NULL`);
    if (input.view === "overdue") conditions.push(sql`t.due_at < ${nowAt}`);
    if (input.view === "today")
      conditions.push(sql`t.due_at >= ${nowAt} AND ${localDay(sql`t.due_at`)} = ${localDay(nowAt)}`);
    if (input.view === "upcoming") conditions.push(sql`${localDay(sql`t.due_at`)} > ${localDay(nowAt)}`);

    // Keyset pagination on (sort time as text, id): the text keeps the microseconds.
    const sortColumn = done ? sql`t.completed_at` : sql`t.due_at`;
    if (input.cursor) {
      const decoded = decodeCursor(input.cursor, 2);
      const [key, id] = decoded ?? [];
      if (typeof key !== "string" || typeof id !== "string" || !UUID.test(id))
        throw badRequest("cursor: invalid or from another query", ["cursor"]);
      conditions.push(
        done
          ? sql`(${sortColumn}, t.id) < (${key}::timestamptz, ${id}::uuid)`
          : sql`(${sortColumn}, t.id) > (${key}::timestamptz, ${id}::uuid)`,
      );
    }
    const order = done ? sql`t.completed_at DESC, t.id DESC` : sql`t.due_at, t.id`;
    const rows = await queryRows<TaskRow>(
      this.deps.db,
      sql`SELECT t.id, t.title, t.due_at, t.contact_id,
                 CASE WHEN c.deleted_at IS NULL THEN c.name END AS contact_name, t.interaction_id,
                 t.assignee_id, t.created_by, t.completed_at,
                 (t.completed_at IS NULL AND t.due_at < ${nowAt}) AS overdue, ${sortColumn}::text AS sort_key
          FROM tasks t LEFT JOIN contacts c ON c.id = t.contact_id
          WHERE ${sql.join(conditions, sql` AND `)}
          ORDER BY ${order}
          LIMIT ${input.limit + 1}`,
    );
    const page = rows.slice(0, input.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => ({
        id: row.id,
        title: row.title,
        dueAt: new Date(row.due_at),
        contactId: row.contact_id,
        contactName: row.contact_name,
        interactionId: row.interaction_id,
        assigneeId: row.assignee_id,
        createdBy: row.created_by,
        completedAt: row.completed_at === null ? null : new Date(row.completed_at),
        overdue: row.overdue,
      })),
      nextCursor: rows.length > input.limit && last ? encodeCursor([last.sort_key, last.id]) : null,
    };
  }

  /**
   * Due reminders: each open follow-up whose due time has come gets one `task.due` event
   * (notifications and the activity feed follow from it). Rows are claimed with SKIP LOCKED,
   * so instances running the job at once never remind twice.
   */
  async remindDue(): Promise<{ reminded: number }> {
    const now = this.deps.clock.now();
    let reminded = 0;
    for (;;) {
      const batch = await this.deps.transaction(async (tx) => {
        const due = await queryRows<{
          id: string;
          workspace_id: string;
          contact_id: string | null;
          user_id: string | null;
        }>(
          tx,
          sql`UPDATE tasks SET reminded_at = ${now.toISOString()}::timestamptz
              WHERE id IN (SELECT id FROM tasks
                           WHERE completed_at IS NULL AND reminded_at IS NULL AND due_at <= ${now.toISOString()}::timestamptz
                           ORDER BY due_at LIMIT ${REMINDER_BATCH} FOR UPDATE SKIP LOCKED)
              RETURNING id, workspace_id, contact_id,
                        -- Whoever it is for, unless they have left the workspace since.
                        CASE WHEN ${isMemberSql(sql`workspace_id`, sql`coalesce(assignee_id, created_by)`)}
                             THEN coalesce(assignee_id, created_by) END AS user_id`,
        );
        await appendEvents(
          tx,
          due.map((row) => ({
            type: "task.due" as const,
            workspaceId: row.workspace_id,
            actorId: null,
            payload: { taskId: row.id, contactId: row.contact_id, userId: row.user_id },
          })),
        );
        return due.length;
      });
      reminded += batch;
      if (batch < REMINDER_BATCH) return { reminded };
    }
  }

  /**
   * A member left or was removed — called inside that transaction, after their membership
   * row is gone. Their open follow-ups go back to whoever created them when that person is
   * still a member (they wanted it done), otherwise they become unassigned (the workspace's,
   * in everyone's "all" list). Done ones keep their assignee: that is history. One
   * `task.updated` (field assigneeId) per follow-up, in the same transaction.
   */
  async releaseAssignee(tx: Tx, workspaceId: string, userId: string, actor: Actor): Promise<{ released: number }> {
    const released = await queryRows<{ id: string; contact_id: string | null }>(
      tx,
      sql`UPDATE tasks t
          SET assignee_id = CASE WHEN t.created_by <> ${userId} AND ${isMemberSql(sql`t.workspace_id`, sql`t.created_by`)}
                                 THEN t.created_by END,
              updated_at = ${this.deps.clock.now().toISOString()}::timestamptz
          WHERE t.workspace_id = ${workspaceId} AND t.assignee_id = ${userId} AND t.completed_at IS NULL
          RETURNING t.id, t.contact_id`,
    );
    await appendEvents(
      tx,
      released.map((row) => ({
        type: "task.updated" as const,
        workspaceId,
        actorId: actor.actorId,
        payload: { taskId: row.id, contactId: row.contact_id, fields: ["assigneeId"] },
      })),
    );
    return { released: released.length };
  }

  private async setCompleted(input: TaskRefInput, actor: Actor, completed: boolean): Promise<Task> {
    return this.deps.transaction(async (tx) => {
      const current = await this.lock(tx, input);
      if ((current.completedAt !== null) === completed)
        throw conflict(completed ? "This follow-up is already done." : "This follow-up is not done.", {
          taskId: current.id,
        });
      const now = this.deps.clock.now();
      const [updated] = await tx
        .update(tasks)
        .set(
          completed
            ? { completedAt: now, completedBy: actor.actorId, updatedAt: now }
            : { completedAt: null, completedBy: null, updatedAt: now },
        )
        .where(eq(tasks.id, current.id))
        .returning();
      await appendEvents(tx, [
        {
          type: completed ? "task.completed" : "task.reopened",
          workspaceId: input.workspaceId,
          actorId: actor.actorId,
          payload: { taskId: current.id, contactId: current.contactId },
        },
      ]);
      return updated!;
    });
  }

  private async lock(tx: Tx, input: TaskRefInput): Promise<Task> {
    const [task] = await tx
      .select()
      .from(tasks)
      .where(and(eq(tasks.workspaceId, input.workspaceId), eq(tasks.id, input.taskId)))
      .for("update");
    if (!task) throw notFound("Task");
    return task;
  }

  /** The contact and timeline item exist in this workspace; the contact is not restricted. */
  private async checkLinks(tx: Executor, workspaceId: string, links: { contactId?: string; interactionId?: string }) {
    if (links.contactId) {
      const [contact] = await tx
        .select({ id: contacts.id })
        .from(contacts)
        .where(
          and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, links.contactId), isNull(contacts.deletedAt)),
        );
      if (!contact) throw notFound("Contact");
      // A follow-up about a restricted person is processing their data (GDPR Art. 18).
      await assertNotRestricted(tx, [links.contactId]);
    }
    if (links.interactionId) {
      const [interaction] = await tx
        .select({ contactId: interactions.contactId })
        .from(interactions)
        .where(and(eq(interactions.workspaceId, workspaceId), eq(interactions.id, links.interactionId)));
      if (!interaction) throw notFound("Interaction");
      if (links.contactId && interaction.contactId !== links.contactId)
        throw badRequest("interactionId: belongs to another contact", ["interactionId"]);
    }
  }

  /** Before the transaction: membership is read through the workspaces service (its cache, the pool). */
  private async checkAssignee(workspaceId: string, assigneeId: string | null | undefined) {
    if (!assigneeId) return;
    const role = await this.deps.services.workspaces.roleOf(workspaceId, assigneeId);
    if (!role) throw badRequest("assigneeId: not a member of this workspace", ["assigneeId"]);
  }
}
