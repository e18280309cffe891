import type { JobDefinition } from "../../infra/queue";
import type { ServiceDeps } from "../../platform/deps";

/** Every minute: the follow-ups that fell due get their reminder (once each). */
export function taskJobs({ services }: ServiceDeps): JobDefinition[] {
  return [
    {
      name: "tasks.remindDue",
      schedule: { cron: "* * * * *", everyMs: 60_000 },
      attempts: 1,
      handler: async () => services.tasks.remindDue(),
    },
  ];
}
