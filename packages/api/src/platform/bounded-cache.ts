import { LRUCache } from "lru-cache";

type Options<K extends {}, V extends {}> = Omit<LRUCache.Options<K, V, unknown>, "max" | "maxSize" | "sizeCalculation">;

/**
 * An LRU cache of at most `entries` entries that takes memory as it fills. lru-cache's own
 * `max` allocates its whole bookkeeping up front (two arrays and three typed arrays of `max`
 * slots): the server's nine caches, sized for the busiest deployment, held ~16 MB of a started
 * process's memory before a single entry was stored. Counting each entry as size 1 against
 * `maxSize` bounds the count the same way, and grows with use.
 */
export function boundedCache<K extends {}, V extends {}>(entries: number, options: Options<K, V> = {}): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...options, maxSize: entries, sizeCalculation: () => 1 });
}
