import { describe, expect, it } from "vitest";
import { createRandom } from "../src/random";
import {
  buildRelationshipGraph,
  DAY_MS,
  recommend,
  RelationshipGraph,
  scoringInstant,
  type GraphContact,
  type GraphInteraction,
} from "../src/recommendations/index";

// Ids sort in the order of their letter, so tie-breaking by id is easy to read.
const id = (letter: string) => `00000000-0000-4000-8000-0000000000${letter.charCodeAt(0).toString(16)}`;
const T = Date.UTC(2026, 0, 15);
const person = (letter: string, company: string | null = null, live = true): GraphContact => ({
  id: id(letter),
  name: `Person ${letter}`,
  company,
  live,
});
let seq = 0;
const email = (at: number, ...letters: string[]): GraphInteraction => ({
  id: `i${String(++seq).padStart(4, "0")}`,
  type: "email",
  occurredAt: at,
  participants: letters.map(id),
});
const meeting = (at: number, ...letters: string[]): GraphInteraction => ({ ...email(at, ...letters), type: "meeting" });
const score = (raw: number) => Math.round((raw / (1 + raw)) * 1e6) / 1e6;

describe("recommendations: weighted Adamic–Adar on the interaction graph", () => {
  it("closes a triangle: A–B twice, B–C once → C for A, scored by hand", () => {
    const graph = buildRelationshipGraph({
      contacts: [person("A"), person("B"), person("C")],
      interactions: [email(T, "A", "B"), email(T, "A", "B"), email(T, "B", "C")],
    });
    // w(A,B) = 2, w(B,C) = 1, s(B) = 3 → raw(A,C) = 2·1 / ln(1 + 3); B is known (w_int = 2 ≥ θ = 1).
    const result = recommend(graph, id("A"), { k: 20, asOf: T })!;
    expect(result).toEqual([
      {
        contactId: id("C"),
        name: "Person C",
        company: null,
        score: score(2 / Math.log(4)),
        reasons: ["1 shared thread with Person B"],
      },
    ]);
    expect(result[0]!.score).toBeCloseTo(0.590616, 6);

    // includeKnown: B comes first with its direct weight (raw 2 → 2/3).
    const all = recommend(graph, id("A"), { k: 20, asOf: T, includeKnown: true })!;
    expect(all.map((r) => [r.contactId, r.score])).toEqual([
      [id("B"), score(2)],
      [id("C"), score(2 / Math.log(4))],
    ]);
    expect(all[0]!.reasons).toEqual(["already in touch: 2 shared threads"]);
  });

  it("decays with the half-life: a 90-day-old thread weighs 1/2 and no longer means 'known'", () => {
    const graph = buildRelationshipGraph({
      contacts: [person("A"), person("B"), person("C")],
      interactions: [email(T - 90 * DAY_MS, "A", "B"), email(T, "B", "C")],
    });
    // w(A,B) = 0.5 < θ, so B is a candidate (raw 0.5); raw(A,C) = 0.5·1 / ln(1 + 1.5).
    const result = recommend(graph, id("A"), { k: 20, asOf: T })!;
    expect(result.map((r) => [r.contactId, r.score])).toEqual([
      [id("C"), score(0.5 / Math.log(2.5))],
      [id("B"), score(0.5)],
    ]);
    // A shorter half-life halves faster: 90 days at a 45-day half-life is 1/4.
    const fast = buildRelationshipGraph(
      { contacts: [person("A"), person("B")], interactions: [email(T - 90 * DAY_MS, "A", "B")] },
      { halfLifeDays: 45 },
    );
    expect(recommend(fast, id("A"), { k: 5, asOf: T })![0]!.score).toBe(score(0.25));
  });

  it("future meetings count fully; other types (calls, notes) do not link by default", () => {
    const graph = buildRelationshipGraph({
      contacts: [person("A"), person("B"), person("C")],
      interactions: [meeting(T + 5 * DAY_MS, "A", "B"), { ...email(T, "A", "C"), type: "call" }],
    });
    const result = recommend(graph, id("A"), { k: 5, asOf: T, includeKnown: true })!;
    expect(result).toEqual([
      {
        contactId: id("B"),
        name: "Person B",
        company: null,
        score: score(1),
        reasons: ["already in touch: 1 shared meeting"],
      },
    ]);
  });

  it("same company is a weaker link (β = 0.3), compared trimmed and case-insensitively; ties break by id", () => {
    const graph = buildRelationshipGraph({
      contacts: [person("A", "Acme"), person("B", "acme"), person("C", " ACME "), person("D", "Other")],
      interactions: [],
    });
    // Each pair of colleagues: w = 0.3, s = 0.6. raw(A,B) = 0.3 (direct) + 0.3·0.3/ln(1.6) (via C); same for C.
    const raw = (0.3 * 0.3) / Math.log(1.6) + 0.3;
    const result = recommend(graph, id("A"), { k: 10, asOf: T })!;
    expect(result).toEqual([
      {
        contactId: id("B"),
        name: "Person B",
        company: "acme",
        score: score(raw),
        reasons: ["same company: Acme", "colleague of Person C at acme"],
      },
      {
        contactId: id("C"),
        name: "Person C",
        company: " ACME ",
        score: score(raw),
        reasons: ["same company: Acme", "colleague of Person B at ACME"],
      },
    ]);
  });

  it("leaves out the contact itself, deleted contacts (as candidates and as bridges) and unknown ids", () => {
    const graph = buildRelationshipGraph({
      contacts: [person("A"), person("B", null, false), person("C"), person("D"), person("E", null, false)],
      interactions: [
        email(T, "A", "B"),
        email(T, "B", "C"),
        email(T, "A", "D"),
        email(T, "D", "E"),
        email(T, "D", "X"),
      ],
    });
    // B is deleted: C is unreachable. E is deleted and X is not a contact: D's only other links do not count.
    expect(recommend(graph, id("A"), { k: 10, asOf: T, includeKnown: true })!.map((r) => r.contactId)).toEqual([
      id("D"),
    ]);
    expect(recommend(graph, id("A"), { k: 10, asOf: T })).toEqual([]);
    expect(recommend(graph, id("B"), { k: 10, asOf: T })).toBeNull();
    expect(recommend(graph, id("Z"), { k: 10, asOf: T })).toBeNull();
  });

  it("explains with the strongest mutual contacts and counts the rest", () => {
    const contacts = ["A", "B", "C", "D", "E", "F"].map((l) => person(l));
    const interactions = [
      // A knows B, C, D, E; each of them shares threads/meetings with F.
      email(T, "A", "B"),
      email(T, "A", "C"),
      email(T, "A", "D"),
      email(T, "A", "E"),
      email(T, "B", "F"),
      email(T, "B", "F"),
      email(T, "B", "F"),
      meeting(T, "B", "F"),
      meeting(T, "C", "F"),
      meeting(T, "C", "F"),
      email(T, "D", "F"),
      email(T - 365 * DAY_MS, "E", "F"),
    ];
    const [f] = recommend(buildRelationshipGraph({ contacts, interactions }), id("A"), { k: 1, asOf: T })!;
    expect(f!.contactId).toBe(id("F"));
    expect(f!.reasons).toEqual([
      "3 shared threads and 1 meeting with Person B",
      "2 shared meetings with Person C",
      "1 shared thread with Person D",
      "1 more mutual contact",
    ]);
  });

  it("returns at most k, ranks by score, and never lists contacts without evidence", () => {
    const contacts = ["A", "B", "C", "D", "E", "F"].map((l) => person(l));
    const interactions = [
      email(T, "A", "B"),
      email(T, "B", "C"),
      email(T, "B", "D"),
      email(T, "B", "D"),
      email(T, "B", "E"),
    ];
    const graph = buildRelationshipGraph({ contacts, interactions });
    const all = recommend(graph, id("A"), { k: 100, asOf: T })!;
    expect(all.map((r) => r.contactId)).toEqual([id("D"), id("C"), id("E")]); // F has no link at all
    expect(all[0]!.score).toBeGreaterThan(all[1]!.score);
    expect(all[1]!.score).toBe(all[2]!.score);
    expect(recommend(graph, id("A"), { k: 2, asOf: T })!.map((r) => r.contactId)).toEqual([id("D"), id("C")]);
  });

  it("scores as of the start of the UTC day", () => {
    expect(scoringInstant(new Date("2026-03-04T17:45:12.345Z")).toISOString()).toBe("2026-03-04T00:00:00.000Z");
  });
});

/** A random workspace, to compare ways of computing the same answer. */
function randomWorkspace(seed: number, size = 60, count = 400) {
  const random = createRandom(seed);
  const letters = Array.from({ length: size }, (_, i) => `c${String(i).padStart(3, "0")}`);
  const contacts: GraphContact[] = letters.map((l, i) => ({
    id: l,
    name: `N${l}`,
    company: random() < 0.7 ? `Co${Math.floor(random() * 8)}` : null,
    live: random() > 0.08 || i === 0,
  }));
  const interactions: GraphInteraction[] = Array.from({ length: count }, (_, i) => {
    const n = 2 + Math.floor(random() * 3);
    return {
      id: `x${String(i).padStart(5, "0")}`,
      type: random() < 0.7 ? "email" : random() < 0.8 ? "meeting" : "call",
      occurredAt: T - Math.floor(random() * 400) * DAY_MS - Math.floor(random() * DAY_MS),
      participants: Array.from({ length: n }, () => letters[Math.floor(random() ** 2 * size)]!),
    };
  });
  return { contacts, interactions, random };
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe("recommendations: determinism", () => {
  const { contacts, interactions, random } = randomWorkspace(7);
  const graph = buildRelationshipGraph({ contacts, interactions });
  const live = contacts.filter((c) => c.live).map((c) => c.id);

  it("the same data in any order gives the same list, bit for bit", () => {
    const other = buildRelationshipGraph({
      contacts: shuffled(contacts, random),
      interactions: shuffled(interactions, random).map((i) => ({
        ...i,
        participants: shuffled([...i.participants], random),
      })),
    });
    for (const c of live) {
      for (const includeKnown of [false, true]) {
        expect(recommend(other, c, { k: 100, asOf: T, includeKnown })).toEqual(
          recommend(graph, c, { k: 100, asOf: T, includeKnown }),
        );
      }
    }
    expect(live.some((c) => recommend(graph, c, { k: 100, asOf: T })!.length > 3)).toBe(true);
  });

  it("reasons never name the contact they are for (they are read on that contact's page)", () => {
    const names = new Map(contacts.map((c) => [c.id, c.name]));
    let reasons = 0;
    for (const c of live) {
      for (const suggestion of recommend(graph, c, { k: 100, asOf: T, includeKnown: true })!) {
        for (const reason of suggestion.reasons) {
          reasons++;
          expect(reason).not.toContain(names.get(c)!);
        }
      }
    }
    expect(reasons).toBeGreaterThan(100);
    // The known ones still say how they know each other.
    const known = live.flatMap((c) => recommend(graph, c, { k: 100, asOf: T, includeKnown: true })!);
    expect(known.some((s) => s.reasons.some((reason) => /^already in touch: \d+ shared/.test(reason)))).toBe(true);
  });

  it("only the neighbourhood is needed: c's and its neighbours' interactions plus their companies", () => {
    for (const c of live.slice(0, 25)) {
      const subject = contacts.find((x) => x.id === c)!;
      const neighbours = new Set<string>([c]);
      for (const i of interactions)
        if (["email", "meeting"].includes(i.type) && i.participants.includes(c))
          i.participants.forEach((p) => neighbours.add(p));
      const company = (x: GraphContact) => x.company?.trim().toLowerCase();
      for (const x of contacts) if (x.live && subject.company && company(x) === company(subject)) neighbours.add(x.id);
      const egoInteractions = interactions.filter((i) => i.participants.some((p) => neighbours.has(p)));
      const companies = new Set(contacts.filter((x) => neighbours.has(x.id) && x.live).map(company));
      const needed = new Set(egoInteractions.flatMap((i) => i.participants));
      const egoContacts = contacts.filter(
        (x) => neighbours.has(x.id) || needed.has(x.id) || (x.live && companies.has(company(x))),
      );
      const ego = buildRelationshipGraph({ contacts: egoContacts, interactions: egoInteractions });
      expect(recommend(ego, c, { k: 100, asOf: T, includeKnown: true })).toEqual(
        recommend(graph, c, { k: 100, asOf: T, includeKnown: true }),
      );
    }
  });

  it("a patched graph answers exactly like one built from the final rows", () => {
    const patched = buildRelationshipGraph({ contacts, interactions });
    for (const c of live) recommend(patched, c, { k: 10, asOf: T }); // fill the memo first
    const rows = new Map(interactions.map((i) => [i.id, i]));
    const people = new Map(contacts.map((p) => [p.id, p]));
    const compare = () => {
      const fresh = buildRelationshipGraph({ contacts: people.values(), interactions: rows.values() });
      for (const c of live)
        expect(recommend(patched, c, { k: 100, asOf: T, includeKnown: true })).toEqual(
          recommend(fresh, c, { k: 100, asOf: T, includeKnown: true }),
        );
    };
    for (let step = 0; step < 120; step++) {
      if (step % 10 === 0) compare();
      const roll = random();
      if (roll < 0.35) {
        const added = {
          id: `y${step}`,
          type: "email",
          occurredAt: T - step * DAY_MS,
          participants: [live[Math.floor(random() * live.length)]!, live[Math.floor(random() * live.length)]!],
        };
        rows.set(added.id, added);
        patched.upsertInteraction(added);
      } else if (roll < 0.55) {
        const victim = [...rows.keys()][Math.floor(random() * rows.size)]!;
        rows.delete(victim);
        patched.removeInteraction(victim);
      } else if (roll < 0.75) {
        const p = people.get(live[1 + Math.floor(random() * (live.length - 1))]!);
        if (!p) continue;
        const next = { ...p, live: !p.live };
        people.set(p.id, next);
        patched.upsertContact(next);
      } else if (roll < 0.95) {
        const p = people.get(live[1 + Math.floor(random() * (live.length - 1))]!);
        if (!p) continue;
        const next = { ...p, company: random() < 0.2 ? null : `Co${Math.floor(random() * 8)}`, name: `${p.name}'` };
        people.set(p.id, next);
        patched.upsertContact(next);
      } else {
        const p = live[1 + Math.floor(random() * (live.length - 1))]!;
        people.delete(p);
        patched.removeContact(p);
      }
    }
    compare();
  });

  it("rejects nonsense parameters", () => {
    expect(() => new RelationshipGraph({ halfLifeDays: 0 })).toThrow(RangeError);
  });
});
