import { gmailConnections } from "@rapport/db";
import { and, eq } from "drizzle-orm";
import type { ServiceDeps } from "../../platform/deps";
import type { ModuleEvents } from "../../platform/module";
import { removeConnections } from "./service";

export function gmailEvents({ clock }: ServiceDeps): ModuleEvents {
  return {
    consumers: [
      {
        // A member who leaves a workspace takes their mailbox with them: the connection goes and its
        // token is queued for revocation (the tick revokes it at Google); imported records stay.
        name: "gmail-member-removed",
        startFrom: "now",
        types: ["member.removed"],
        handle: async (events, tx) => {
          for (const event of events) {
            if (event.type !== "member.removed" || !event.workspaceId) continue;
            const { userId } = event.payload as { userId: string };
            await removeConnections(
              tx,
              and(eq(gmailConnections.workspaceId, event.workspaceId), eq(gmailConnections.userId, userId))!,
              clock.now(),
            );
          }
        },
      },
    ],
  };
}
