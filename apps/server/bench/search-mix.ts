/**
 * What bench:search loads and asks (shared with bench/search-explain.ts): the pools its
 * names, companies, titles, subjects and summaries are drawn from, and the mix of 200
 * queries (prefix, infix, typo, company, subject), the same every run.
 */
export const FIRST = [
  "Ana",
  "Ben",
  "Chloé",
  "David",
  "Elena",
  "Farid",
  "Grace",
  "Hugo",
  "Inès",
  "Jonas",
  "Kaia",
  "Liam",
  "Maya",
  "Nils",
  "Olivia",
  "Pablo",
  "Zoë",
  "Søren",
  "Łukasz",
  "José",
  "Anneliese",
  "Björn",
  "Dmitri",
  "Aoife",
];
export const LAST = [
  "Ruiz",
  "Schmidt",
  "Dubois",
  "Rossi",
  "Novak",
  "Kowalski",
  "Jensen-Holt",
  "Silva",
  "Müller",
  "Costa",
  "Nakamura",
  "Okafor",
  "O'Brien",
  "Jørgensen",
  "Wałęsa",
  "Álvarez",
  "Lindqvist",
  "Straße",
  "Papadopoulos",
  "Van der Berg",
  "Fernández",
  "Kim",
  "Nguyen",
  "Haddad",
  "Mbeki",
  "Sørensen",
  "García-Márquez",
  "Ivanova",
  "Dupont",
  "Yilmaz",
];
export const COMPANY = [
  "Acme",
  "Globex",
  "Initech",
  "Umbrella",
  "Hooli",
  "Vandelay",
  "Stark",
  "Wayne",
  "Tyrell",
  "Cyberdyne",
  "Soylent",
  "Nordlys",
  "Fjord",
  "Ejemplo",
  "Zürich Re",
  "Malmö Energi",
];
export const TITLE = ["CTO", "Head of Sales", "Engineer", "Founder", "Procurement Lead", "Designer", "Partner"];
export const SUBJECT = [
  "Quarterly review",
  "Renewal pricing",
  "Intro call",
  "Security questionnaire",
  "Roadmap workshop",
  "Contract redlines",
  "Onboarding kickoff",
  "Invoice question",
  "Partnership proposal",
  "Conference follow-up",
];
export const SUMMARY_WORDS = [
  "discussed",
  "budget",
  "timeline",
  "integration",
  "migration",
  "pilot",
  "procurement",
  "legal",
  "pricing",
  "renewal",
  "expansion",
  "feedback",
  "dashboard",
  "analytics",
  "support",
  "escalation",
  "travel",
  "workshop",
];

// ---------------------------------------------------------------- queries

/** Deterministic pseudo-random picks (the mix is the same every run). */
function picker(seed: number) {
  let state = seed;
  return <T>(values: readonly T[]): T => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return values[state % values.length]!;
  };
}

function typo(word: string, pick: ReturnType<typeof picker>): string {
  const letters = [...word.toLowerCase()];
  const at = 1 + (letters.length > 3 ? pick([0, 1, 2]) : 0);
  letters[Math.min(at, letters.length - 1)] = pick(["a", "e", "o", "i"]);
  return letters.join("");
}

export function queryMix(): { kind: string; q: string }[] {
  const pick = picker(7);
  const mix: { kind: string; q: string }[] = [];
  const lastWords = LAST.flatMap((last) => last.split(/[\s-]+/)).filter((w) => w.length >= 4);
  for (let i = 0; i < 40; i++) {
    const name = `${pick(FIRST)} ${pick(LAST)}`;
    mix.push({ kind: "prefix", q: name.slice(0, 3 + (i % 6)) });
  }
  for (let i = 0; i < 40; i++) mix.push({ kind: "infix", q: pick(lastWords) });
  for (let i = 0; i < 40; i++) mix.push({ kind: "typo", q: typo(pick(lastWords), pick) });
  for (let i = 0; i < 40; i++) mix.push({ kind: "company", q: `${pick(COMPANY)}${i % 2 ? ` ${i}` : ""}` });
  for (let i = 0; i < 40; i++) {
    const subject = pick(SUBJECT);
    mix.push({ kind: "subject", q: i % 2 ? subject : `${subject.split(" ")[0]} #${(i * 37) % 5000}` });
  }
  return mix;
}
