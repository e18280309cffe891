/** Who performs a change, as recorded in the audit log and on events. */
export interface Actor {
  actorId: string;
  ip: string | null;
  userAgent: string | null;
}
