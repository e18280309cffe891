import { describe, expect, it } from "vitest";
import { matchesGlob } from "../src/glob";

describe("glob matching", () => {
  it.each([
    ["*", "", true],
    ["*", "rec:abc:1:c1:20", true],
    ["", "", true],
    ["", "a", false],
    ["?", "", false],
    ["?", "a", true],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["rec:*", "rec:ws:1:c1:20", true],
    ["rec:*", "analytics:ws:1", false],
    ["rec:*:c1?:20", "rec:ws:1:c12:20", true],
    ["rec:*:c1?:20", "rec:ws:1:c1:20", false],
    ["*:20", "rec:ws:1:c1:20", true],
    ["*:20", "rec:ws:1:c1:200", false],
    ["a*b*c", "aXbYbZc", true],
    ["a*b*c", "aXbYbZ", false],
    ["**", "anything", true],
    ["*a*", "bbb", false],
    // Characters that mean something to regular expressions are literals here.
    ["a.c", "abc", false],
    ["a.c", "a.c", true],
    ["(a|b)+", "(a|b)+", true],
    ["[ab]", "a", false],
    ["^$\\", "^$\\", true],
    // One code point per `?`, also outside the BMP.
    ["?", "😀", true],
  ])("%j against %j is %s", (pattern, text, expected) => {
    expect(matchesGlob(pattern, text)).toBe(expected);
  });

  it("agrees with a reference matcher on random patterns", () => {
    const reference = (p: string, t: string): boolean => {
      // Dynamic programming, obviously correct and polynomial.
      const row = new Array<boolean>(t.length + 1).fill(false);
      row[0] = true;
      for (const ch of p) {
        const next = new Array<boolean>(t.length + 1).fill(false);
        if (ch === "*") {
          for (let j = 0; j <= t.length; j++) next[j] = row[j]! || (j > 0 && next[j - 1]!);
        } else {
          for (let j = 1; j <= t.length; j++) next[j] = row[j - 1]! && (ch === "?" || ch === t[j - 1]);
        }
        row.splice(0, row.length, ...next);
      }
      return row[t.length]!;
    };
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 5_000; i++) {
      const text = Array.from({ length: random(8) }, () => "ab"[random(2)]).join("");
      const pattern = Array.from({ length: random(6) }, () => "ab*?"[random(4)]).join("");
      expect(matchesGlob(pattern, text), `${pattern} / ${text}`).toBe(reference(pattern, text));
    }
  });

  it("stays fast on adversarial patterns (no backtracking blow-up)", () => {
    const key = `rec:${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}:123:${"c".repeat(200)}:20`;
    const patterns = [
      "*?".repeat(64),
      `${"*?".repeat(63)}#`,
      `${"*a".repeat(63)}#`,
      `${"?*".repeat(63)}#`,
      `${"*".repeat(127)}#`,
      `*${"?".repeat(126)}#`,
    ];
    const started = performance.now();
    for (let round = 0; round < 50; round++) {
      for (const pattern of patterns) expect(matchesGlob(pattern, key)).toBe(pattern === "*?".repeat(64));
    }
    // 300 matches of 128-character patterns against a 270-character key; a backtracking regex needs
    // longer than the age of the universe for the first one.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
