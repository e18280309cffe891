/** What kind of interaction it was; the analytics value settings price each type. */
export const INTERACTION_TYPES = ["email", "meeting", "call", "linkedin", "note"] as const;
export type InteractionType = (typeof INTERACTION_TYPES)[number];
export const INTERACTION_DIRECTIONS = ["inbound", "outbound"] as const;
export type InteractionDirection = (typeof INTERACTION_DIRECTIONS)[number];
export const INTERACTION_SOURCES = ["manual", "gmail", "import", "calendar"] as const;
export type InteractionSource = (typeof INTERACTION_SOURCES)[number];
export const PARTICIPANT_ROLES = ["from", "to", "cc", "bcc", "organizer", "attendee", "participant"] as const;
export type ParticipantRole = (typeof PARTICIPANT_ROLES)[number];
