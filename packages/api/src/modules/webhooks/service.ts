import type { ServiceDeps } from "../../platform/deps";
import { WebhookDelivery } from "./delivery";
import { WebhookEndpoints } from "./endpoints";
import { WebhookMessageLog } from "./message-log";
import { createOutboundClient } from "./outbound/post";
import { WebhookRecovery } from "./recovery";
import { USER_AGENT } from "./shared";

/**
 * The webhooks module's service: four parts with one job each, sharing one outbound
 * client (one SSRF policy, one pool of kept-open sockets).
 */
export class WebhookService {
  readonly endpoints: WebhookEndpoints;
  readonly delivery: WebhookDelivery;
  readonly log: WebhookMessageLog;
  readonly recovery: WebhookRecovery;

  constructor(deps: ServiceDeps) {
    const outbound = createOutboundClient({
      allowedCidrs: deps.config.WEBHOOK_ALLOWED_CIDRS,
      plainHttpHosts: deps.config.WEBHOOK_PLAIN_HTTP_HOSTS,
      userAgent: USER_AGENT,
    });
    this.endpoints = new WebhookEndpoints(deps, outbound);
    this.delivery = new WebhookDelivery(deps, outbound);
    this.log = new WebhookMessageLog(deps);
    this.recovery = new WebhookRecovery(deps, this.delivery);
  }
}
