import { z } from "zod";
import { dateSchema, idSchema, pageFields, requiredText, timeZoneSchema } from "./common";

/** Which follow-ups a list shows: open ones by when they are due, or the completed ones. */
export const TASK_VIEWS = ["open", "overdue", "today", "upcoming", "done"] as const;
export type TaskView = (typeof TASK_VIEWS)[number];

const title = requiredText(300);

export const createTaskInput = z.strictObject({
  workspaceId: idSchema,
  title,
  dueAt: dateSchema,
  /** The contact the follow-up is about. */
  contactId: idSchema.optional(),
  /** The timeline item it follows up on ("follow up on this email in 3 days"). */
  interactionId: idSchema.optional(),
  /** A member of the workspace; unassigned follow-ups belong to whoever created them. */
  assigneeId: idSchema.optional(),
});
export type CreateTaskInput = z.output<typeof createTaskInput>;

export const updateTaskInput = z.strictObject({
  workspaceId: idSchema,
  taskId: idSchema,
  patch: z
    .strictObject({
      title: title.optional(),
      dueAt: dateSchema.optional(),
      contactId: idSchema.nullable().optional(),
      assigneeId: idSchema.nullable().optional(),
    })
    .refine((patch) => Object.values(patch).some((value) => value !== undefined), "nothing to change"),
});
export type UpdateTaskInput = z.output<typeof updateTaskInput>;

export const taskRefInput = z.strictObject({ workspaceId: idSchema, taskId: idSchema });
export type TaskRefInput = z.output<typeof taskRefInput>;

export const listTasksInput = z.strictObject({
  workspaceId: idSchema,
  /** "me": assigned to me, or unassigned and created by me. */
  assignee: z.enum(["me", "all"]).default("me"),
  view: z.enum(TASK_VIEWS).default("open"),
  contactId: idSchema.optional(),
  /** The calendar "today" is counted in. */
  timeZone: timeZoneSchema.default("UTC"),
  ...pageFields,
});
export type ListTasksInput = z.output<typeof listTasksInput>;
