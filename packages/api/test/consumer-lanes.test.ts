import { describe, expect, it } from "vitest";
import { consumerLanes } from "../src/platform/events/dispatcher";

describe("consumer lanes", () => {
  it("run two consumers' batches at once whenever the pool keeps a connection for requests, up to a third of it", () => {
    // Pool sizes 1..12: a slow consumer holds back only itself from a pool of 3 on (the API
    // role's default on 2 CPUs is 5), and the batches never take the pool's last connection.
    expect(Array.from({ length: 12 }, (_, i) => consumerLanes(i + 1))).toEqual([1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 4]);
  });
});
