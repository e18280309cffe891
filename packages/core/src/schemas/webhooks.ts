import { z } from "zod";
import { WEBHOOK_EVENT_TYPES } from "../webhooks";
import { requiredText, stringSchema, trimmedString } from "./common";

/** Outgoing webhook endpoints: the rules the server applies and the web form checks before sending. */

const KNOWN_TYPES: ReadonlySet<string> = new Set(WEBHOOK_EVENT_TYPES);

/** `["*"]` or a list of known types, without duplicates. */
const eventTypesSchema = z
  .array(stringSchema.max(100))
  .min(1, "choose at least one event type, or * for all")
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((types) => !types.includes("*") || types.length === 1, "* (all events) stands alone")
  .refine(
    (types) => types.every((type) => type === "*" || KNOWN_TYPES.has(type)),
    "unknown event type (see webhooks.eventTypes)",
  )
  .refine((types) => new Set(types).size === types.length, "lists an event type twice")
  .refine((types) => !types.includes("webhook.test"), "webhook.test is only sent by “Send test”");

/** An absolute http(s) URL without credentials; whether plain http is allowed is the server's decision. */
const webhookUrlSchema = requiredText(2_000).superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: "must be an absolute URL (https://…)" });
    return;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") ctx.addIssue({ code: "custom", message: "must be https" });
  if (url.username || url.password) ctx.addIssue({ code: "custom", message: "must not contain credentials" });
  if (url.hash) ctx.addIssue({ code: "custom", message: "must not contain a #fragment" });
});

const descriptionSchema = trimmedString(500)
  .transform((value) => (value.length === 0 ? null : value))
  .nullish();

/** The fields of webhooks.create (the server adds workspaceId). */
export const webhookEndpointFields = {
  url: webhookUrlSchema,
  description: descriptionSchema,
  eventTypes: eventTypesSchema,
  enabled: z.boolean().optional(),
};
export const createWebhookInput = z.strictObject(webhookEndpointFields);
