import { describe, expect, it } from "vitest";
import { bearerToken } from "../../../packages/api/src/lib/bearer";

describe("bearer header parsing", () => {
  it.each([
    ["Bearer abc.def.ghi", "abc.def.ghi"],
    ["bearer abc", "abc"],
    ["BEARER \t abc  ", "abc"],
    [["Bearer first", "Bearer second"], "first"],
    ["Bearerabc", null],
    ["Bearer ", null],
    ["Bearer    ", null],
    ["Basic abc", null],
    ["", null],
    [undefined, null],
    [null, null],
  ] as const)("%j → %j", (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });

  it("takes linear time on long whitespace runs", () => {
    const started = performance.now();
    for (const filler of [" ", "\t", "\u00a0", "\n"]) {
      expect(bearerToken(`Bearer${filler.repeat(200_000)}\n`)).toBeNull();
      expect(bearerToken(`Bearer${filler.repeat(200_000)}x`)).toBe("x");
    }
    expect(performance.now() - started).toBeLessThan(500);
  });
});
