import { Redis } from "ioredis";
import { TEST_REDIS_URL, type TestApp } from "./app";

export interface DumpLine {
  /** Table name, or "redis". */
  source: string;
  /** The row as JSON, or the Redis key and its value. */
  text: string;
}

/**
 * Every row of every table and every Redis key under the app's prefix (with its value),
 * lower-cased: for dump-and-grep checks that erased or deleted data is gone everywhere.
 */
export async function dumpLines(app: Pick<TestApp, "sql" | "redisPrefix">): Promise<DumpLine[]> {
  const tables = await app.sql<{ name: string }[]>`
    SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
  const lines: DumpLine[] = [];
  for (const { name } of tables) {
    const rows = await app.sql.unsafe(`SELECT row_to_json(t)::text AS j FROM "${name}" t`);
    for (const r of rows) lines.push({ source: name, text: String(r.j).toLowerCase() });
  }
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${app.redisPrefix}*`, "COUNT", 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        let value: unknown = null;
        if (type === "string") value = (await redis.getBuffer(key))?.toString("latin1");
        else if (type === "hash") value = await redis.hgetall(key);
        else if (type === "list") value = await redis.lrange(key, 0, -1);
        else if (type === "set") value = await redis.smembers(key);
        else if (type === "zset") value = await redis.zrange(key, 0, -1);
        else if (type === "stream") value = await redis.xrange(key, "-", "+");
        lines.push({ source: "redis", text: `${key}: ${JSON.stringify(value)}`.toLowerCase() });
      }
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return lines;
}

/** The whole dump as one lower-cased string, one line per row or key. */
export async function dumpEverything(app: Pick<TestApp, "sql" | "redisPrefix">): Promise<string> {
  return (await dumpLines(app)).map((line) => `${line.source}: ${line.text}`).join("\n");
}
