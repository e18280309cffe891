import { randomUUID } from "node:crypto";
import { createRandom, createZipfSampler, type InteractionType, pick } from "@rapport/core";
import type { Db } from "./client";
import { contacts, interactionParticipants, interactions } from "./schema/index";

/** First and last names of seeded people (the benchmarks' bulk loads draw from them too). */
export const FIRST_NAMES = [
  "Ana",
  "Ben",
  "Chloé",
  "David",
  "Elena",
  "Farid",
  "Grace",
  "Hugo",
  "Ines",
  "Jonas",
  "Kaia",
  "Liam",
  "Maya",
  "Nils",
  "Olivia",
  "Pablo",
  "Quinn",
  "Rosa",
  "Sven",
  "Tara",
  "Umar",
  "Vera",
  "Wen",
  "Ximena",
  "Yusuf",
  "Zoe",
  "Aiko",
  "Bruno",
  "Carmen",
  "Dmitri",
  "Eva",
  "Felix",
  "Giulia",
  "Hana",
  "Ivan",
  "Julia",
  "Karim",
  "Lena",
  "Mateo",
  "Nora",
];
export const LAST_NAMES = [
  "Ruiz",
  "Schmidt",
  "Dubois",
  "Rossi",
  "Novak",
  "Kowalski",
  "Jensen",
  "Silva",
  "Müller",
  "Costa",
  "Nakamura",
  "Okafor",
  "Larsen",
  "Moreau",
  "Fischer",
  "Popescu",
  "Horvat",
  "Svensson",
  "Oliveira",
  "Weber",
  "Kim",
  "Haddad",
  "Bianchi",
  "Janssen",
  "Nieminen",
  "Ivanova",
  "Murphy",
  "Papadopoulos",
  "Yilmaz",
  "Andersen",
];
const COMPANY_A = [
  "Acme",
  "Nordic",
  "Blue",
  "Bright",
  "Atlas",
  "Vertex",
  "Lumen",
  "Quantum",
  "Harbor",
  "Summit",
  "Cedar",
  "Pixel",
  "Orbit",
  "Nova",
  "Iron",
  "Silver",
  "Delta",
  "Pioneer",
  "Falcon",
  "Maple",
];
const COMPANY_B = [
  "Labs",
  "Systems",
  "Capital",
  "Health",
  "Logistics",
  "Foods",
  "Energy",
  "Analytics",
  "Robotics",
  "Media",
  "Partners",
  "Bank",
  "Studio",
  "Works",
  "Cloud",
];
const TITLES = [
  "CEO",
  "CTO",
  "VP Sales",
  "Head of Marketing",
  "Account Executive",
  "Product Manager",
  "Engineer",
  "Designer",
  "Procurement Lead",
  "Founder",
  "Investor",
  "Recruiter",
  "Operations Manager",
  "CFO",
  "Consultant",
];
const TAGS = [
  "customer",
  "prospect",
  "investor",
  "partner",
  "vip",
  "press",
  "candidate",
  "advisor",
  "churn-risk",
  "newsletter",
];
const SUBJECTS = [
  "Intro call",
  "Quarterly review",
  "Proposal follow-up",
  "Contract questions",
  "Coffee next week?",
  "Demo feedback",
  "Pricing",
  "Onboarding kickoff",
  "Partnership idea",
  "Board prep",
  "Hiring referral",
  "Conference meetup",
];
const TYPE_WEIGHTS: [InteractionType, number][] = [
  ["email", 0.55],
  ["meeting", 0.15],
  ["call", 0.15],
  ["linkedin", 0.1],
  ["note", 0.05],
];

const DAY = 86_400_000;
const HISTORY_DAYS = 548; // 18 months
const BATCH = 1_000;

export interface SeedOptions {
  workspaceId: string;
  createdBy?: string | null;
  contacts: number;
  interactions: number;
  seed?: number;
  now?: Date;
  onProgress?: (phase: "contacts" | "interactions", done: number, total: number) => void;
}

export interface SeedResult {
  contacts: number;
  interactions: number;
  participants: number;
  ms: number;
}

/**
 * Realistic demo and benchmark data, written in bulk (no domain events: this
 * is a data load, not user activity). Activity per contact follows Zipf(1.1),
 * people cluster in companies, and emails/meetings often include colleagues or
 * other contacts, which is what the relationship graph is built from.
 */
export async function seedWorkspace(db: Db, options: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const random = createRandom(options.seed ?? 42);
  const now = options.now ?? new Date();
  const createdBy = options.createdBy ?? null;
  const companyCount = Math.max(1, Math.round(options.contacts / 8));
  const companies = Array.from({ length: companyCount }, (_, i) => {
    const name = `${pick(COMPANY_A, random)} ${pick(COMPANY_B, random)}${i >= COMPANY_A.length * COMPANY_B.length ? ` ${i}` : ""}`;
    return { name, domain: `${name.toLowerCase().replace(/[^a-z0-9]+/g, "")}.example` };
  });
  const runTag = Math.floor(random() * 1e6).toString(36);

  const people: { id: string; companyIndex: number; createdAt: Date }[] = [];
  const byCompany = new Map<number, string[]>();
  for (let start = 0; start < options.contacts; start += BATCH) {
    const rows = [];
    for (let i = start; i < Math.min(options.contacts, start + BATCH); i++) {
      const first = pick(FIRST_NAMES, random);
      const last = pick(LAST_NAMES, random);
      const companyIndex = Math.floor(random() * companyCount);
      const company = companies[companyIndex]!;
      // Most contacts exist from the start of the history; some joined later.
      const ageDays = random() < 0.8 ? HISTORY_DAYS + random() * 60 : random() * HISTORY_DAYS;
      const createdAt = new Date(now.getTime() - ageDays * DAY);
      const id = randomUUID();
      people.push({ id, companyIndex, createdAt });
      byCompany.set(companyIndex, [...(byCompany.get(companyIndex) ?? []), id]);
      const tagCount = Math.floor(random() * 3);
      rows.push({
        id,
        workspaceId: options.workspaceId,
        email:
          random() < 0.97
            ? `${first}.${last}.${runTag}${i}@${company.domain}`
                .toLowerCase()
                .normalize("NFD")
                .replace(/[\u0300-\u036f]/g, "")
            : null,
        name: `${first} ${last}`,
        company: company.name,
        title: pick(TITLES, random),
        phone:
          random() < 0.6
            ? `+${30 + Math.floor(random() * 20)} ${Math.floor(100 + random() * 900)} ${Math.floor(1_000_000 + random() * 9_000_000)}`
            : null,
        tags: [...new Set(Array.from({ length: tagCount }, () => pick(TAGS, random)))].sort(),
        source: random() < 0.6 ? ("gmail" as const) : random() < 0.5 ? ("import" as const) : ("manual" as const),
        createdBy,
        createdAt,
        updatedAt: createdAt,
      });
    }
    await db.insert(contacts).values(rows);
    options.onProgress?.("contacts", Math.min(options.contacts, start + BATCH), options.contacts);
  }

  // Zipf over a shuffled order so the most active contacts are spread around.
  const order = people.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const zipf = createZipfSampler(Math.max(1, people.length), 1.1, random);
  const pickType = (): InteractionType => {
    let r = random();
    for (const [type, weight] of TYPE_WEIGHTS) {
      if ((r -= weight) <= 0) return type;
    }
    return "email";
  };

  let participantsWritten = 0;
  for (let start = 0; start < options.interactions && people.length > 0; start += BATCH) {
    const interactionRows = [];
    const participantRows = [];
    for (let i = start; i < Math.min(options.interactions, start + BATCH); i++) {
      const person = people[order[zipf()]!]!;
      const type = pickType();
      const span = now.getTime() - person.createdAt.getTime();
      // Skewed toward recent activity.
      const occurredAt = new Date(person.createdAt.getTime() + span * random() ** 0.6);
      const id = randomUUID();
      interactionRows.push({
        id,
        workspaceId: options.workspaceId,
        contactId: person.id,
        type,
        // Drawn for notes too (which have none), so a seed gives the same data as before.
        direction: withoutDirectionForNotes(type, random() < 0.5 ? ("inbound" as const) : ("outbound" as const)),
        occurredAt,
        subject: type === "note" ? null : pick(SUBJECTS, random),
        summary: null,
        source:
          type === "email" ? ("gmail" as const) : type === "meeting" ? ("calendar" as const) : ("manual" as const),
        externalId: type === "email" || type === "meeting" ? `seed-${runTag}-${i}` : null,
        createdBy,
        createdAt: occurredAt,
      });
      const members = new Set([person.id]);
      if ((type === "email" || type === "meeting") && random() < 0.5) {
        const extra = 1 + Math.floor(random() * 3);
        for (let k = 0; k < extra; k++) {
          const colleagues = byCompany.get(person.companyIndex)!;
          members.add(random() < 0.7 ? pick(colleagues, random) : people[order[zipf()]!]!.id);
        }
      }
      let first = true;
      for (const contactId of members) {
        participantRows.push({
          interactionId: id,
          workspaceId: options.workspaceId,
          contactId,
          role: type === "meeting" ? ("attendee" as const) : first ? ("participant" as const) : ("cc" as const),
        });
        first = false;
      }
    }
    await db.insert(interactions).values(interactionRows);
    for (let p = 0; p < participantRows.length; p += BATCH) {
      await db.insert(interactionParticipants).values(participantRows.slice(p, p + BATCH));
    }
    participantsWritten += participantRows.length;
    options.onProgress?.("interactions", Math.min(options.interactions, start + BATCH), options.interactions);
  }
  return {
    contacts: people.length,
    interactions: people.length > 0 ? options.interactions : 0,
    participants: participantsWritten,
    ms: Math.round(performance.now() - started),
  };
}

function withoutDirectionForNotes<D>(type: string, direction: D): D | null {
  return type === "note" ? null : direction;
}
