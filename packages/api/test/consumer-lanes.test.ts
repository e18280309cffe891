import { describe, expect, it } from "vitest";
import { consumerLanes } from "../src/platform/events/dispatcher";

describe("consumer lanes", () => {
  it("run two consumers' batches at once whenever the pool keeps two connections for requests, up to a third of it", () => {
    // Pool sizes 1..12: a slow consumer holds back only itself from a pool of 4 on (the API
    // role's default on 2 CPUs is 5; on 1 CPU 3), and from a pool of 3 on the batches leave
    // the requests at least two connections.
    expect(Array.from({ length: 12 }, (_, i) => consumerLanes(i + 1))).toEqual([1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 4]);
  });
});
