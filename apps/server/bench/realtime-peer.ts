/**
 * The peer of bench/realtime.ts: what most teams would build for live updates — a
 * Socket.IO server with the Redis Streams adapter, clients joined to their workspace's
 * room, and a handler that commits the change to Postgres and then emits it to the
 * room. Run as two processes sharing Redis (spawned by the bench):
 *
 *   node --import tsx bench/realtime-peer.ts   (in apps/server; env: PORT, DATABASE_URL, REDIS_URL, PEER_PREFIX)
 *
 * The bench runs it compiled to plain JavaScript (esbuild, its packages left as imports), as
 * it runs the instances' build: neither system pays for tsx's loader.
 *
 * POST /commit?room=<workspace>&name=<name> commits the same change as Rapport's commit: a
 * contact of that name in that workspace, one INSERT into the same contacts table (its indexes
 * and search trigger included: the database work a product with this search does per contact),
 * and emits { id, room, txStartedAt } with the transaction's start (now(), as the outbox's
 * created_at is). With PEER_WRITE=row (the bench's --peer-minimal-write) it inserts a row in a
 * table of its own instead (bench_peer_events: a bigserial and the room), the measure before. The bench measures both systems from each row's commit
 * time as Postgres recorded it (pg_xact_commit_timestamp), and from txStartedAt as well.
 * No authentication, no replay, no per-client filtering: the peer does less than the
 * system it is compared with.
 */
import http from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createAdapter } from "@socket.io/redis-streams-adapter";
import { Redis } from "ioredis";
import { Server } from "socket.io";

type Sql = (<T>(strings: TemplateStringsArray, ...values: unknown[]) => Promise<T[]>) & {
  end(options?: { timeout?: number }): Promise<void>;
};
// From the working directory (apps/server), not this file's: the bench runs a compiled copy kept elsewhere.
const repoRoot = join(process.cwd(), "../..");
// Resolved from @rapport/db, which owns the dependency (as bench/env.ts does).
const postgres = createRequire(join(repoRoot, "packages/db/package.json"))("postgres").default as (
  url: string,
  options: Record<string, unknown>,
) => Sql;
const sql = postgres(process.env.DATABASE_URL ?? "", { max: 10, onnotice: () => {} });
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const prefix = process.env.PEER_PREFIX ?? "";
const userId = process.env.PEER_USER_ID ?? "";
const insert = (room: string, name: string) =>
  process.env.PEER_WRITE === "row"
    ? sql<{ id: string; tx_started_at: Date }>`
        INSERT INTO bench_peer_events (room) VALUES (${room}) RETURNING id::text AS id, now() AS tx_started_at`
    : sql<{ id: string; tx_started_at: Date }>`
        INSERT INTO contacts (workspace_id, name, created_by) VALUES (${room}::uuid, ${name}, ${userId}::uuid)
        RETURNING id::text AS id, now() AS tx_started_at`;

const server = http.createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://peer");
  if (request.method !== "POST" || url.pathname !== "/commit") {
    response.writeHead(404).end();
    return;
  }
  const room = url.searchParams.get("room") ?? "";
  const name = url.searchParams.get("name") ?? "";
  request.resume();
  request.on("end", () => {
    insert(room, name)
      .then(([row]) => {
        if (!row) throw new Error("no row");
        io.to(room).emit("event", { id: row.id, room, txStartedAt: row.tx_started_at.toISOString() });
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: row.id }));
      })
      .catch((error: unknown) => {
        process.stderr.write(`commit failed: ${error instanceof Error ? error.message : String(error)}\n`);
        response.writeHead(500).end();
      });
  });
});
const io = new Server(server, {
  adapter: createAdapter(redis, { streamName: `${prefix}socket.io`, channelPrefix: `${prefix}socket.io` }),
});
io.on("connection", (socket) => {
  const room = socket.handshake.query.room;
  if (typeof room === "string") void socket.join(room);
  socket.emit("ready");
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => process.stdout.write("peer ready\n"));
const stop = () => {
  void io.close();
  redis.disconnect();
  void sql.end({ timeout: 1 }).finally(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
