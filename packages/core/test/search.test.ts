import { describe, expect, it } from "vitest";
import {
  estimatedShare,
  foldText,
  matchFields,
  prefixTsQuery,
  phoneDigits,
  queryTokens,
  searchFold,
} from "../src/search/index";

describe("search rules", () => {
  it("folds accents, case and letters without decomposition, mapping back to the original offsets", () => {
    expect(searchFold("Jørgensen-Müller ÉCOLE Straße Łódź Œuvre")).toBe("jorgensen-muller ecole strasse lodz oeuvre");
    const folded = foldText("Straße X");
    expect(folded.folded).toBe("strasse x");
    // Both s's of "ß" point back to the one character.
    expect([folded.starts[4], folded.ends[5]]).toEqual([4, 5]);
    // Decomposed input (e + combining acute) folds like the composed one.
    expect(searchFold("Jose\u0301")).toBe("jose");
  });

  it("tokens and the full-text query are letters and digits only", () => {
    expect(queryTokens("  O'Brien, anna.jensen@ACME ")).toEqual(["o", "brien", "anna", "jensen", "acme"]);
    expect(prefixTsQuery("jen hol")).toBe("'jen':* & 'hol':*");
    expect(prefixTsQuery("a & b | !c:*")).toBe("'a':* & 'b':* & 'c':*");
    expect(prefixTsQuery("@@ !!")).toBeNull();
  });

  it("phone-looking queries give their digits", () => {
    expect(phoneDigits("+46 (70) 123-4567")).toBe("46701234567");
    expect(phoneDigits("12")).toBeNull();
    expect(phoneDigits("anna 123")).toBeNull();
  });

  const fields = (name: string, email: string | null = null) => [
    { field: "name" as const, value: name },
    { field: "email" as const, value: email },
  ];

  it.each([
    ["anna jensen-holt", "Anna Jensen-Holt", "exact", [[0, 16]]],
    ["ANNA", "Anna Jensen-Holt", "prefix", [[0, 4]]],
    ["jensen", "Anna Jensen-Holt", "word", [[5, 11]]],
    [
      "holt anna",
      "Anna Jensen-Holt",
      "word",
      [
        [0, 4],
        [12, 16],
      ],
    ],
    ["nna", "Hanna Jensen", "infix", [[2, 5]]],
    ["jonsen", "Anna Jensen-Holt", "fuzzy", [[5, 11]]],
    ["alvarez", "José Álvarez", "word", [[5, 12]]],
  ] as const)("%s in %s is a %s match", (query, name, tier, ranges) => {
    const match = matchFields(query, fields(name));
    expect(match?.tier).toBe(tier);
    expect(match?.highlights[0]?.ranges).toEqual(ranges);
  });

  it("the best field wins within a tier; unrelated text does not match", () => {
    expect(matchFields("acme", fields("Bo", "acme@x.com"))).toMatchObject({ tier: "prefix", fieldRank: 1 });
    expect(matchFields("zzzz", fields("Anna"))).toBeNull();
  });

  it("long fields are cut to a snippet around the match, offsets shifted to it", () => {
    const long = `${"word ".repeat(60)}the needle is here ${"tail ".repeat(40)}`;
    const match = matchFields("needle", [{ field: "summary" as const, value: long }])!;
    const highlight = match.highlights[0]!;
    expect(highlight.text.length).toBeLessThanOrEqual(162);
    expect(highlight.text.startsWith("…")).toBe(true);
    const [start, end] = highlight.ranges[0]!;
    expect(highlight.text.slice(start, end)).toBe("needle");
  });
});

describe("estimatedShare", () => {
  const statistics = { lexemes: ["budget", "budgets", "review", "jensen"], shares: [0.16, 0.01, 0.1, 0.002] };

  it("sums the common lexemes a word starts, and its alternatives", () => {
    expect(estimatedShare(statistics, { prefix: "budget", terms: [] })).toBeCloseTo(0.17);
    expect(estimatedShare(statistics, { prefix: "bud", terms: ["review"] })).toBeCloseTo(0.27);
    expect(estimatedShare(statistics, { prefix: "jonsen", terms: ["jensen"] })).toBeCloseTo(0.002);
  });

  it("estimates a word no common lexeme matches at 0, and never above every row", () => {
    expect(estimatedShare(statistics, { prefix: "zzq", terms: [] })).toBe(0);
    expect(estimatedShare({ lexemes: [], shares: [] }, { prefix: "budget", terms: [] })).toBe(0);
    expect(estimatedShare({ lexemes: ["abc", "abcd"], shares: [0.9, 0.8] }, { prefix: "abc", terms: [] })).toBe(1);
  });

  it("knows nothing of a word too short to tell: it may start many rare lexemes", () => {
    expect(estimatedShare(statistics, { prefix: "3", terms: [] })).toBe(1);
    expect(estimatedShare(statistics, { prefix: "zz", terms: [] })).toBe(1);
  });
});
