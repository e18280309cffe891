import { getCountries, getCountryCallingCode, parsePhoneNumberFromString } from "libphonenumber-js";
import { describe, expect, it } from "vitest";
import {
  compareContacts,
  companyMatchKey,
  emailMatchKey,
  emailMatchProbe,
  findDuplicatePairs,
  likelyDuplicates,
  nameSimilarity,
  phoneMatchKey,
  planMerge,
  type DedupContact,
} from "../src/duplicates/index";

const contact = (id: string, fields: Partial<DedupContact> & { name: string }): DedupContact => ({
  id,
  email: null,
  phone: null,
  company: null,
  ...fields,
});

describe("email keys", () => {
  it("folds case everywhere, dots and +tags only where the provider ignores them", () => {
    expect(emailMatchKey("Ana.Lima+crm@GoogleMail.com")).toBe("analima@gmail.com");
    expect(emailMatchKey("analima@gmail.com")).toBe("analima@gmail.com");
    expect(emailMatchKey("ana.lima+news@outlook.com")).toBe("ana.lima@outlook.com");
    // A company domain may route a dot or a + to another mailbox: only the case is folded.
    expect(emailMatchKey("Ana.Lima+x@Acme.com")).toBe("ana.lima+x@acme.com");
    expect(emailMatchKey("not-an-address")).toBeNull();
  });

  it("probes every address with the same key by its domains and the untagged mailbox's letters", () => {
    const gmail = { domains: ["gmail.com", "googlemail.com"], mailbox: "analima" };
    for (const address of ["Ana.Lima+crm@GoogleMail.com", "analima+x@gmail.com", "ana.lima@gmail.com"])
      expect(emailMatchProbe(address)).toEqual(gmail);
    expect(emailMatchProbe("ana.lima+news@outlook.com")).toEqual({ domains: ["outlook.com"], mailbox: "analima" });
    expect(emailMatchProbe("Ana.Lima+x@Acme.com")).toEqual({ domains: ["acme.com"], mailbox: "analima" });
    expect(emailMatchProbe("not-an-address")).toBeNull();
  });
});

describe("phone keys", () => {
  it("reads numbers as E.164 whatever the punctuation", () => {
    expect(phoneMatchKey("+49 (151) 123-45678")).toBe("+4915112345678");
    expect(phoneMatchKey("+4915112345678")).toBe("+4915112345678");
    expect(phoneMatchKey("0151 12345678", "DE")).toBe("+4915112345678");
  });
  it("falls back to the digits when no country can be told, and ignores fragments", () => {
    expect(phoneMatchKey("555 0101")).toBe("digits:5550101");
    expect(phoneMatchKey("555-0101")).toBe("digits:5550101");
    expect(phoneMatchKey("12 34")).toBeNull();
  });
  it("keeps the length rules of the country a shared calling code's number belongs to", () => {
    // Seven digits after +1 are possible in Canada (310 numbers) and nowhere else of the +1 countries.
    expect(phoneMatchKey("+1 310 1234")).toBe("+13101234");
    expect(phoneMatchKey("3101234", "US")).toBe("+13101234");
    expect(phoneMatchKey("+1 242 1234")).toBe("digits:12421234");
    expect(phoneMatchKey("+1 555 0000001")).toBe("+15550000001");
    // +599: eight digits are possible in Curaçao (the code's main country), not in Bonaire.
    expect(phoneMatchKey("+599 9 1234567")).toBe("+59991234567");
    expect(phoneMatchKey("+599 7123 4567")).toBe("digits:59971234567");
    expect(phoneMatchKey("+44 1624 123456")).toBe("+441624123456");
  });
  it("gives the key the full parse gives, for every calling code, length and default country", () => {
    // The key the library's own entry point gives: parse, then E.164 when possible.
    const reference = (phone: string, defaultCountry?: Parameters<typeof phoneMatchKey>[1]) => {
      const digits = phone.replace(/\D/g, "");
      if (digits.length < 6) return null;
      try {
        const parsed = parsePhoneNumberFromString(phone, defaultCountry ? { defaultCountry } : undefined);
        if (parsed?.isPossible()) return parsed.number;
      } catch {
        // As phoneMatchKey: the digits.
      }
      return `digits:${digits}`;
    };
    let seed = 7;
    const random = (below: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return Math.floor((seed / 2_147_483_648) * below);
    };
    const countries = getCountries();
    const codes = [...new Set(countries.map((country) => getCountryCallingCode(country)))];
    const cases: [string, (typeof countries)[number] | undefined][] = [];
    for (const code of codes)
      for (let length = 4; length <= 15; length++)
        for (let i = 0; i < 12; i++) {
          const national = Array.from({ length }, () => random(10)).join("");
          const defaultCountry = i % 3 === 0 ? countries[random(countries.length)] : undefined;
          cases.push(
            [`+${code} ${national}`, undefined],
            [national, defaultCountry],
            [`00${code}${national}`, defaultCountry],
          );
        }
    const differing = cases.filter(([phone, country]) => phoneMatchKey(phone, country) !== reference(phone, country));
    expect(cases.length).toBeGreaterThan(20_000);
    expect(differing).toEqual([]);
  });
});

describe("names and companies", () => {
  it("compares names by trigrams, whatever the word order and accents", () => {
    expect(nameSimilarity("Ana Lima", "Anna Lima")).toBeGreaterThan(0.7);
    expect(nameSimilarity("Lima, Ana", "Ana Lima")).toBe(1);
    expect(nameSimilarity("José Núñez", "Jose Nunez")).toBe(1);
    expect(nameSimilarity("John Smith", "Jane Smith")).toBeLessThan(0.55);
    expect(nameSimilarity("Ana Lima", "Ana Silva")).toBeLessThan(0.4);
  });
  it("counts each distinct trigram once, as pg_trgm's similarity does", () => {
    expect(nameSimilarity("Ana Ana", "Ana")).toBe(1);
    // "  a", " an", "ana", "na " against those and "  l", " li", "lim", "ima", "ma ": 4 of 9.
    expect(nameSimilarity("Ana", "Ana Lima")).toBe(4 / 9);
    // "anna": "  a", " an", "ann", "nna", "na " — 3 shared of 6 with "ana".
    expect(nameSimilarity("Anna", "Ana")).toBe(0.5);
    expect(nameSimilarity("", "Ana")).toBe(0);
    expect(nameSimilarity("", "")).toBe(0);
  });
  it("drops legal forms and punctuation from companies", () => {
    expect(companyMatchKey("Acme, Inc.")).toBe("acme");
    expect(companyMatchKey("ACME GmbH")).toBe("acme");
    expect(companyMatchKey("Société Générale SA")).toBe("societe generale");
    expect(companyMatchKey("  ")).toBeNull();
  });
});

describe("pairs", () => {
  it("gives each pair a score and its reasons", () => {
    const pair = compareContacts(
      contact("b", { name: "Ana Lima", email: "ana.lima@gmail.com", company: "Acme" }),
      contact("a", { name: "Anna Lima", email: "analima+crm@googlemail.com", company: "ACME Inc", phone: "555 0101" }),
    );
    expect(pair).toMatchObject({ contactAId: "a", contactBId: "b" });
    expect(pair!.reasons.map((r) => r.kind)).toEqual(["email", "name"]);
    expect(pair!.score).toBeGreaterThan(0.95);
  });
  it("does not pair same-named people at different companies, or different people at one", () => {
    expect(
      compareContacts(
        contact("a", { name: "Ana Lima", company: "Acme" }),
        contact("b", { name: "Ana Lima", company: "Initech" }),
      ),
    ).toBeNull();
    expect(
      compareContacts(
        contact("a", { name: "John Smith", company: "Acme" }),
        contact("b", { name: "Jane Smith", company: "Acme" }),
      ),
    ).toBeNull();
  });
  it("finds pairs in a large workspace by grouping, best first, and ignores shared switchboards", () => {
    const contacts: DedupContact[] = [];
    for (let i = 0; i < 5_000; i++)
      contacts.push(
        contact(`c${String(i).padStart(5, "0")}`, {
          name: `Person ${i} Example${i % 97}`,
          company: `Company ${i % 10}`,
          email: `p${i}@example.com`,
        }),
      );
    contacts.push(contact("x1", { name: "Ana Lima", company: "Acme", email: "ana.lima@gmail.com" }));
    contacts.push(contact("x2", { name: "Anna Lima", company: "Acme Ltd" }));
    contacts.push(contact("x3", { name: "Bo Chen", phone: "+1 415 555 2671" }));
    contacts.push(contact("x4", { name: "B. Chen", phone: "+14155552671", email: "analima@gmail.com" }));
    for (let i = 0; i < 6; i++)
      contacts.push(contact(`s${i}`, { name: `Desk ${i * 7919}`, phone: "+44 20 7946 0000" }));
    const started = performance.now();
    const pairs = findDuplicatePairs(contacts);
    expect(performance.now() - started).toBeLessThan(5_000);
    const ids = pairs.map((p) => `${p.contactAId}-${p.contactBId}`);
    expect(ids).toContain("x1-x2");
    expect(ids).toContain("x3-x4");
    expect(ids).toContain("x1-x4");
    expect(ids.some((id) => id.startsWith("s"))).toBe(false);
    expect(pairs.map((p) => p.score)).toEqual([...pairs.map((p) => p.score)].sort((a, b) => b - a));
  });
  it("finds the existing contacts a new one probably is", () => {
    const existing = [
      contact("1", { name: "Ana Lima", company: "Acme" }),
      contact("2", { name: "Ana Lima", company: "Other" }),
      contact("3", { name: "Zed", email: "a.n.a@gmail.com" }),
    ];
    const found = likelyDuplicates(
      { name: "Anna Lima", company: "acme", email: "ana@gmail.com", phone: null },
      existing,
    );
    expect(found.map((f) => f.contactId)).toEqual(["3", "1"]);
  });
});

describe("merge plan", () => {
  const survivor = { name: "Ana Lima", email: "ana@acme.com", company: null, title: "CTO", phone: null, tags: ["vip"] };
  const merged = {
    name: "Anna Lima",
    email: "ana@gmail.com",
    company: "Acme",
    title: null,
    phone: "+1 555",
    tags: ["lead", "vip"],
  };
  it("keeps the survivor's values, fills its gaps and unions the tags by default", () => {
    const plan = planMerge(survivor, merged);
    expect(plan.values).toEqual({
      name: "Ana Lima",
      email: "ana@acme.com",
      company: "Acme",
      title: "CTO",
      phone: "+1 555",
      tags: ["lead", "vip"],
    });
    expect(plan.changed).toEqual(["company", "phone", "tags"]);
  });
  it("takes what was chosen field by field", () => {
    const plan = planMerge(survivor, merged, { name: "merged", title: "merged", company: "survivor" });
    expect(plan.values).toMatchObject({ name: "Anna Lima", title: null, company: null });
    expect(plan.sides).toMatchObject({ name: "merged", title: "merged", company: "survivor", phone: "merged" });
  });
});
