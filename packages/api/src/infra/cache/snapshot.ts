/**
 * PostgreSQL snapshots (`pg_current_snapshot()::text`, "xmin:xmax:xip,…") and
 * what the freshness fence remembers between probes.
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
