/**
 * Blob storage for generated files (GDPR export ZIPs).
 *
 * The default implementation is a local directory (EXPORT_DIR, default
 * `.data/exports`). An S3-compatible store implements the same interface:
 *  - `put(key, stream)`  → PutObject / multipart upload from the stream, returns the byte size;
 *  - `get(key)`          → GetObject body as a Node readable (null on NoSuchKey);
 *  - `stat(key)`         → HeadObject (null on 404);
 *  - `delete(key)`       → DeleteObject (idempotent: missing keys are not an error).
 * Keys are opaque, slash-free server-generated names (`[A-Za-z0-9._-]+`); they never
 * contain personal data.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

interface StoredObject {
  key: string;
  sizeBytes: number;
  modifiedAt: Date;
}

export interface ExportStorage {
  /** Writes the whole stream under `key` (replacing it); resolves with the stored size. */
  put(key: string, body: Readable): Promise<{ sizeBytes: number }>;
  /** A stream of the object, or null when it does not exist. */
  get(key: string): Promise<Readable | null>;
  stat(key: string): Promise<StoredObject | null>;
  /** Idempotent. */
  delete(key: string): Promise<void>;
}

const KEY = /^[A-Za-z0-9._-]{1,200}$/;

function checkKey(key: string): string {
  if (!KEY.test(key) || key.startsWith(".")) throw new Error(`Invalid storage key: ${key}`);
  return key;
}

/** Files in one directory; writes go to a temporary name and are renamed when complete. */
export function createLocalStorage(dir: string): ExportStorage {
  const ready = mkdir(dir, { recursive: true });
  const path = (key: string) => join(dir, checkKey(key));
  return {
    async put(key, body) {
      await ready;
      const target = path(key);
      const temporary = `${target}.${process.pid}.${Date.now()}.partial`;
      try {
        await pipeline(body, createWriteStream(temporary, { mode: 0o600 }));
        await rename(temporary, target);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
      return { sizeBytes: (await stat(target)).size };
    },
    async get(key) {
      const info = await this.stat(key);
      return info ? createReadStream(path(key)) : null;
    },
    async stat(key) {
      try {
        const info = await stat(path(key));
        return info.isFile() ? { key, sizeBytes: info.size, modifiedAt: info.mtime } : null;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw error;
      }
    },
    async delete(key) {
      await rm(path(key), { force: true });
    },
  };
}
