import { z } from "zod";
import { INTERACTION_DIRECTIONS, INTERACTION_SOURCES, INTERACTION_TYPES, PARTICIPANT_ROLES } from "../interactions";
import { dateSchema, emailSchema, idSchema, optionalText, pageFields, requiredText } from "./common";

const EARLIEST = new Date("1970-01-01T00:00:00Z");
const ONE_YEAR_MS = 365 * 86_400_000;

const participantSchema = z
  .strictObject({
    contactId: idSchema.optional(),
    email: emailSchema.optional(),
    displayName: optionalText(200),
    role: z.enum(PARTICIPANT_ROLES).default("participant"),
  })
  .refine((p) => p.contactId || p.email, "a participant needs a contactId or an email");

export const createInteractionInput = z
  .strictObject({
    workspaceId: idSchema,
    contactId: idSchema,
    type: z.enum(INTERACTION_TYPES),
    /** Inbound or outbound; required, except for notes, which have none. */
    direction: z.enum(INTERACTION_DIRECTIONS).optional(),
    occurredAt: dateSchema
      .refine((d) => d >= EARLIEST, "must be after 1970")
      // Scheduled meetings may lie ahead, but not absurdly far.
      .refine((d) => d.getTime() <= Date.now() + ONE_YEAR_MS, "must be at most one year in the future"),
    subject: optionalText(500),
    summary: optionalText(10_000),
    source: z.enum(INTERACTION_SOURCES).default("manual"),
    externalId: requiredText(255).optional(),
    participants: z.array(participantSchema).max(200, "at most 200 participants").default([]),
  })
  .refine((input) => input.source === "manual" || input.externalId, {
    message: "externalId is required for imported interactions (it keeps re-imports from duplicating)",
    path: ["externalId"],
  })
  // A note is written down, not sent or received: a direction on one is a mistake, not a detail to drop.
  .refine((input) => input.type !== "note" || input.direction === undefined, {
    message: "a note has no direction",
    path: ["direction"],
  })
  .refine((input) => input.type === "note" || input.direction !== undefined, {
    message: "say whether it was inbound or outbound",
    path: ["direction"],
  })
  // Something a person logs says what happened; imports may carry no subject.
  .refine((input) => input.source !== "manual" || input.subject || input.summary, {
    message: "give a subject or a summary",
    path: ["subject"],
  });
export type CreateInteractionInput = z.output<typeof createInteractionInput>;

export const listForContactInput = z.strictObject({
  workspaceId: idSchema,
  contactId: idSchema,
  ...pageFields,
});

export const deleteInteractionInput = z.strictObject({ workspaceId: idSchema, interactionId: idSchema });
