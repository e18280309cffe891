/**
 * Native DEFLATE for jszip's streamed ZIPs.
 *
 * jszip compresses with pako (DEFLATE in JavaScript, on the event loop): for a
 * large export that was the single largest cost, and every input chunk was first
 * copied byte by byte into a new Uint8Array for pako. jszip 3.10 has no public hook
 * for another compressor — `compression` must name an entry of its internal
 * `lib/compressions` table ("STORE", "DEFLATE"; an object is rejected) — so this
 * module adds one entry there, `NODE_DEFLATE`, with the same ZIP method (8, DEFLATE)
 * but Node's zlib `deflateRaw`, which runs on the libuv thread pool, in parallel
 * with the rows being read and serialized. jszip stays the ZIP writer (headers, CRC,
 * data descriptors, central directory); only the compression worker differs. Readers
 * (including jszip's own `loadAsync`, which looks methods up by their magic and finds
 * "DEFLATE" first) see an ordinary DEFLATE entry.
 *
 * Backpressure is kept in both directions: while zlib's input buffer is full the
 * upstream file worker (and through it the source Node stream) is paused, and when
 * jszip pauses this worker (the output stream is full) zlib's output is paused too.
 */
import { createRequire } from "node:module";
import { createDeflateRaw, type DeflateRaw } from "node:zlib";
import type JSZip from "jszip";

interface Chunk {
  data: unknown;
  meta: Record<string, unknown>;
}

/** The parts of jszip's internal worker base class (lib/stream/GenericWorker.js) used here. */
interface GenericWorkerInstance {
  previous: GenericWorkerInstance | null;
  isPaused: boolean;
  isFinished: boolean;
  generatedError: unknown;
  push(chunk: Chunk): void;
  end(): boolean;
  error(error: unknown): boolean;
  pause(): boolean;
  resume(): boolean;
}
interface GenericWorkerClass {
  new (name: string): GenericWorkerInstance;
  prototype: GenericWorkerInstance;
}
interface CompressionMethod {
  magic: string;
  compressWorker(options: { level?: number } | null): GenericWorkerInstance;
  uncompressWorker(): GenericWorkerInstance;
}

// The same module instances as `import JSZip from "jszip"` (one CommonJS cache).
const require = createRequire(import.meta.url);
const GenericWorker = require("jszip/lib/stream/GenericWorker") as GenericWorkerClass;
const compressions = require("jszip/lib/compressions") as Record<string, CompressionMethod>;

/** The jszip `compression` name that selects native DEFLATE (ZIP method 8). */
const NATIVE_DEFLATE = "NODE_DEFLATE";

const toBuffer = (data: unknown): Buffer => {
  if (Buffer.isBuffer(data)) return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // jszip's internal strings are "binary strings": one char per byte.
  if (typeof data === "string") return Buffer.from(data, "latin1");
  return Buffer.from(data as number[]);
};

class NativeDeflateWorker extends GenericWorker {
  private readonly zlib: DeflateRaw;
  private meta: Record<string, unknown> = {};
  /** zlib's input buffer is full: the upstream stays paused until it drains. */
  private waitingForDrain = false;
  private upstreamEnded = false;

  constructor(level: number) {
    super("NativeDeflateWorker");
    this.zlib = createDeflateRaw({ level, chunkSize: 64 * 1024 });
    this.zlib.on("data", (data: Buffer) => GenericWorker.prototype.push.call(this, { data, meta: this.meta }));
    this.zlib.on("drain", () => {
      this.waitingForDrain = false;
      if (!this.isPaused && !this.isFinished) this.previous?.resume();
    });
    this.zlib.on("end", () => GenericWorker.prototype.end.call(this));
    this.zlib.on("error", (error) => this.error(error));
    // Nothing flows until jszip resumes this worker.
    this.zlib.pause();
  }

  processChunk(chunk: Chunk) {
    this.meta = chunk.meta;
    if (!this.zlib.write(toBuffer(chunk.data)) && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.previous?.pause();
    }
  }

  /** Upstream ended: finish the deflate stream; jszip's end (flush, "end" downstream) follows zlib's. */
  override end(): boolean {
    if (this.isFinished || this.upstreamEnded) return false;
    this.upstreamEnded = true;
    this.zlib.end();
    return true;
  }

  override pause(): boolean {
    if (!GenericWorker.prototype.pause.call(this)) return false;
    this.zlib.pause();
    return true;
  }

  override resume(): boolean {
    if (!this.isPaused || this.isFinished) return false;
    this.isPaused = false;
    if (this.generatedError) {
      this.error(this.generatedError);
      return false;
    }
    this.zlib.resume();
    if (!this.waitingForDrain && !this.upstreamEnded) this.previous?.resume();
    return true;
  }

  override error(error: unknown): boolean {
    const reported = GenericWorker.prototype.error.call(this, error);
    if (reported && this.isFinished) this.zlib.destroy();
    return reported;
  }
}

compressions[NATIVE_DEFLATE] ??= {
  magic: compressions.DEFLATE!.magic,
  compressWorker: (options) => new NativeDeflateWorker(options?.level ?? 6),
  uncompressWorker: () => compressions.DEFLATE!.uncompressWorker(),
};

/** `compression` for `generateNodeStream`/`file()` options (the typings only list jszip's own names). */
export const nativeDeflate = NATIVE_DEFLATE as unknown as NonNullable<JSZip.JSZipGeneratorOptions["compression"]>;
