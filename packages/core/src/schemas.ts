import { z } from "zod";

/**
 * Input schemas shared by the server (tRPC inputs) and the web app (form
 * validation before sending), so a field's rule and its message are written once.
 * Pure zod: nothing here may reach a database, the network or Node built-ins.
 */

/**
 * The one string every input field is built from. PostgreSQL text cannot hold
 * NUL (U+0000): such a value fails inside the database (SQLSTATE 22021) after
 * the request was accepted, so it is refused here, with the field's name.
 */
export const stringSchema = z.string().refine((value) => !value.includes("\u0000"), "must not contain NUL characters");

/** Trimmed text of at most `max` characters (may be empty). */
export const trimmedString = (max: number) => stringSchema.trim().max(max, `must be at most ${max} characters`);

/** Required, trimmed, non-empty text of bounded length. */
export const requiredText = (max: number) => trimmedString(max).min(1, "must not be empty");

/** workspaces.create */
export const createWorkspaceInput = z.strictObject({ name: requiredText(100) });
