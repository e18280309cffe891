import { describe, expect, it } from "vitest";
import { boundedCache } from "../src/platform/bounded-cache";

describe("boundedCache", () => {
  it("holds at most its number of entries, evicting the least recently used", () => {
    const cache = boundedCache<string, number>(3);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("c", 3);
    expect(cache.get("a")).toBe(1); // "b" is now the least recently used
    cache.set("d", 4);
    expect(cache.size).toBe(3);
    expect([...cache.keys()].sort()).toEqual(["a", "c", "d"]);
    // Replacing an entry does not count it twice.
    cache.set("d", 5);
    expect(cache.size).toBe(3);
    expect(cache.get("c")).toBe(3);
  });

  it("keeps the options it is given, such as a time to live", async () => {
    const cache = boundedCache<string, true>(10, { ttl: 20 });
    cache.set("session", true);
    expect(cache.has("session")).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(cache.has("session")).toBe(false);
  });
});
