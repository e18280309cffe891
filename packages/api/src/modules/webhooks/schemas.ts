import { webhookEndpointFields } from "@rapport/core/schemas";
import { WEBHOOK_EVENT_CATALOGUE } from "@rapport/core/webhooks";
import { z } from "zod";
import { dateSchema, idSchema, pageFields, stringSchema } from "../../lib/schemas";

/** Messages per second to one endpoint: a receiver such as a data warehouse can take thousands. */
const rateLimitSchema = z.number().int().min(1).max(10_000).optional();
const endpointRef = { workspaceId: idSchema, endpointId: idSchema };

export const createEndpointInput = z.strictObject({
  workspaceId: idSchema,
  ...webhookEndpointFields,
  rateLimitPerSecond: rateLimitSchema,
});

export const updateEndpointInput = z.strictObject({
  ...endpointRef,
  url: webhookEndpointFields.url.optional(),
  description: webhookEndpointFields.description,
  eventTypes: webhookEndpointFields.eventTypes.optional(),
  enabled: z.boolean().optional(),
  rateLimitPerSecond: rateLimitSchema,
});

export const endpointInput = z.strictObject(endpointRef);
export const messageInput = z.strictObject({ workspaceId: idSchema, messageId: idSchema });

export const messagesInput = z.strictObject({
  ...endpointRef,
  status: z.enum(["pending", "delivered", "failed"]).optional(),
  ...pageFields,
});

export const recoverInput = z.strictObject({ ...endpointRef, since: dateSchema });
export const recoverStatusInput = z.strictObject({ workspaceId: idSchema, jobId: stringSchema.min(1).max(200) });

export const eventCatalogue = WEBHOOK_EVENT_CATALOGUE.map((entry) => ({ ...entry }));
