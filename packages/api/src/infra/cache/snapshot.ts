/**
 * PostgreSQL snapshots (`pg_current_snapshot()::text`, "xmin:xmax:xip,…") and
 * the visibility rule of pg_visible_in_snapshot, so a cached value can say
 * "computed from this state of the database" and a reader can tell whether a
 * given committed transaction is already reflected in it.
 */
export interface PgSnapshot {
  text: string;
  xmin: bigint;
  xmax: bigint;
  xip: Set<bigint>;
}

export function parseSnapshot(text: string): PgSnapshot {
  const match = /^(\d+):(\d+):([\d,]*)$/.exec(text.trim());
  if (!match) throw new Error(`not a pg_snapshot: ${text}`);
  return {
    text,
    xmin: BigInt(match[1]!),
    xmax: BigInt(match[2]!),
    xip: new Set(match[3] ? match[3].split(",").map((x) => BigInt(x)) : []),
  };
}

/** Whether transaction `tx` had committed (or was otherwise visible) as of `snapshot`. */
export function visibleIn(tx: bigint, snapshot: PgSnapshot): boolean {
  if (tx < snapshot.xmin) return true;
  if (tx >= snapshot.xmax) return false;
  return !snapshot.xip.has(tx);
}
