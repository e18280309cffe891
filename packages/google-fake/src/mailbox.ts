/**
 * A Gmail mailbox: messages with the metadata Gmail keeps (ids, labels, history ids,
 * headers as the sender wrote them) and the history log `users.history.list` reads.
 * Mail is generated deterministically from a seed, so a test or benchmark can say
 * exactly which people and how many messages a sync must find.
 */
import { createRandom, pick } from "@rapport/core";

export interface Person {
  /** The display name as a person reads it (decoded); null when the person never sends one. */
  name: string | null;
  /** Lower-case canonical address. */
  email: string;
}

/**
 * What a message is, for test expectations: `personal` mail is what a CRM should import;
 * `category` mail sits in Promotions/Social/Updates/Forums; `automated` comes from a
 * no-reply style sender in the primary inbox.
 */
export type MessageKind = "personal" | "category" | "automated";

export interface FakeMessage {
  id: string;
  threadId: string;
  labelIds: string[];
  snippet: string;
  historyId: number;
  internalDate: number;
  sizeEstimate: number;
  /** Headers in message order, values exactly as on the wire (encoded words left encoded). */
  headers: { name: string; value: string }[];
  body: string;
  // The truth behind the headers, for assertions.
  kind: MessageKind;
  direction: "inbound" | "outbound";
  from: Person;
  to: Person[];
  cc: Person[];
  subject: string;
  deleted: boolean;
}

export interface MailboxOptions {
  /** The account's Google address. */
  email: string;
  /** The account holder's name (used on sent mail). */
  name?: string;
  /** Other addresses the owner sends as (returned by `users.settings.sendAs.list`). */
  aliases?: string[];
  /** Personal messages to generate now. */
  messages?: number;
  /** People other than the owner on each personal message (From/To/Cc together). */
  participantsPerMessage?: number;
  /** Size of the pool participants are drawn from; default: enough that most people recur. */
  people?: number;
  /** Extra messages in Promotions/Social/Updates/Forums, from newsletter senders. */
  categoryMessages?: number;
  /** Extra messages from no-reply/notification senders in the primary inbox. */
  automatedMessages?: number;
  /** Share of messages whose headers carry RFC 2047 encoded words instead of UTF-8 (0..1). */
  encodedWordRatio?: number;
  /** Spread the generated mail over this many days before `now`. */
  days?: number;
  seed?: number;
  /** The clock the mail is dated against (ms since epoch). */
  now?: () => number;
}

export interface HistoryRecord {
  id: number;
  added: FakeMessage[];
  deleted: FakeMessage[];
}

const FIRST_NAMES = [
  "José",
  "Zoë",
  "François",
  "Søren",
  "Łukasz",
  "Chloé",
  "Björn",
  "Ana",
  "Siobhán",
  "Mei",
  "Olu",
  "Priya",
  "Jürgen",
  "Inès",
  "Mateo",
  "Aoife",
  "Nikolaï",
  "Renée",
  "Tomás",
  "Hana",
  "David",
  "Sarah",
  "Kwame",
  "Elif",
  "Ingrid",
  "Ayşe",
];
const LAST_NAMES = [
  "Núñez",
  "Müller",
  "O'Brien",
  "Dubois",
  "Kowalski",
  "Lindqvist",
  "García",
  "Nguyễn",
  "Okafor",
  "Rossi",
  "Schäfer",
  "Smith",
  "Hernández",
  "Ishikawa",
  "Petrović",
  "Fernández",
  "Åberg",
  "Yılmaz",
  "Chen",
  "Van der Berg",
];
const DOMAINS = [
  "acme.example",
  "globex.example",
  "initech.example",
  "umbrella.example",
  "hooli.example",
  "mail.example",
];
const SUBJECTS = [
  "Quarterly review",
  "Re: Proposal for Q3",
  "Lunch next week?",
  "Café meeting — notes",
  "Contract draft v2",
  "Fwd: Intro to the Zürich team",
  "Your feedback on the pitch",
  "Réunion de lancement",
  "Invoice #4411",
  "Catching up",
  "Follow-up: pricing",
  "Größenordnung der Bestellung",
];
const SNIPPETS = [
  "Thanks for the quick reply, I will get back to you by Friday.",
  "Attached is the updated draft with the changes we discussed.",
  "Would Tuesday at 10 work for you? Happy to move it if not.",
  "Great to meet you yesterday — as promised, here are the slides.",
];
const NEWSLETTER_SENDERS: Person[] = [
  { name: "Shop Deals", email: "deals@shop.example" },
  { name: "Social Network", email: "notify@social.example" },
  { name: "Forum Digest", email: "digest@forum.example" },
  { name: "Bank Updates", email: "updates@bank.example" },
];
const AUTOMATED_SENDERS: Person[] = [
  { name: "No Reply", email: "no-reply@service.example" },
  { name: null, email: "mailer-daemon@mail.example" },
  { name: "Calendar", email: "notifications@calendar.example" },
  { name: "Billing", email: "noreply@billing.example" },
];
const CATEGORY_LABELS = ["CATEGORY_PROMOTIONS", "CATEGORY_SOCIAL", "CATEGORY_FORUMS", "CATEGORY_UPDATES"];

/** Folds accents and punctuation away for the local part of an address. */
function asciiLocal(text: string): string {
  const folded = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/ł/g, "l")
    .replace(/Ł/g, "L")
    .replace(/ø/g, "o")
    .replace(/Ø/g, "O")
    .replace(/ı/g, "i")
    .toLowerCase();
  let out = "";
  for (const ch of folded) if ((ch >= "a" && ch <= "z") || (ch >= "0" && ch <= "9")) out += ch;
  return out;
}

function generatePeople(count: number, random: () => number): Person[] {
  const people: Person[] = [];
  const seen = new Set<string>();
  while (people.length < count) {
    const first = pick(FIRST_NAMES, random);
    const last = pick(LAST_NAMES, random);
    const domain = pick(DOMAINS, random);
    let email = `${asciiLocal(first)}.${asciiLocal(last)}@${domain}`;
    for (let n = 2; seen.has(email); n++) email = `${asciiLocal(first)}.${asciiLocal(last)}${n}@${domain}`;
    seen.add(email);
    // About one in twelve people never put a name on their mail.
    people.push({ name: random() < 0.08 ? null : `${first} ${last}`, email });
  }
  return people;
}

function encodedWordB(text: string): string {
  return `=?UTF-8?B?${Buffer.from(text, "utf8").toString("base64")}?=`;
}

/** RFC 2047 Q encoding: spaces as "_", everything outside a safe ASCII set as =XX. */
function encodedWordQ(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const ch = String.fromCharCode(byte);
    if (byte === 0x20) out += "_";
    else if ((ch >= "a" && ch <= "z") || (ch >= "A" && ch <= "Z") || (ch >= "0" && ch <= "9")) out += ch;
    else out += `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return `=?UTF-8?Q?${out}?=`;
}

function isAtext(name: string): boolean {
  for (const ch of name) {
    if (
      !((ch >= "a" && ch <= "z") || (ch >= "A" && ch <= "Z") || (ch >= "0" && ch <= "9") || ch === " " || ch > "\u007f")
    ) {
      return false;
    }
  }
  return true;
}

/**
 * Writes one mailbox the many ways real mail does: bare address, `Name <addr>`,
 * `"Last, First" <addr>` (quoting because of the comma), escaped quotes, a trailing
 * comment, encoded words, and the address in mixed case.
 */
function formatAddress(person: Person, random: () => number, encoded: boolean): string {
  const roll = random();
  const address = roll < 0.1 ? person.email.charAt(0).toUpperCase() + person.email.slice(1) : person.email;
  if (person.name === null) return roll < 0.5 ? address : `<${address}>`;
  if (encoded) {
    return `${random() < 0.5 ? encodedWordB(person.name) : encodedWordQ(person.name)} <${address}>`;
  }
  const [first, ...rest] = person.name.split(" ");
  const last = rest.join(" ");
  if (roll < 0.2) return `"${last}, ${first}" <${address}>`;
  if (roll < 0.25) return `${address} (${person.name})`;
  if (!isAtext(person.name)) return `"${person.name.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}" <${address}>`;
  return `${person.name} <${address}>`;
}

function formatDate(ms: number): string {
  const d = new Date(ms);
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const two = (n: number) => String(n).padStart(2, "0");
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** Gmail ids are 16 hex digits that grow with the time the message arrived. */
function messageId(internalDate: number, seq: number): string {
  return ((BigInt(internalDate) << 20n) | BigInt(seq & 0xfffff)).toString(16).padStart(16, "0");
}

export class Mailbox {
  readonly email: string;
  readonly name: string;
  readonly aliases: string[];
  /** Every message, oldest first (deleted ones stay, flagged). */
  readonly messages: FakeMessage[] = [];
  /** The people personal mail is exchanged with. */
  readonly people: Person[];
  historyId: number;
  /** History records with an id at or below this are gone: `history.list` from before it is a 404. */
  historyFloor: number;
  readonly history: HistoryRecord[] = [];
  private readonly byId = new Map<string, FakeMessage>();
  private readonly random: () => number;
  private readonly participantsPerMessage: number;
  private readonly encodedWordRatio: number;
  private readonly now: () => number;
  private seq = 0;

  constructor(options: MailboxOptions) {
    this.email = options.email.toLowerCase();
    this.name = options.name ?? "Alex Owner";
    this.aliases = (options.aliases ?? []).map((alias) => alias.toLowerCase());
    const seed = options.seed ?? 1;
    this.random = createRandom(seed);
    this.now = options.now ?? Date.now;
    this.participantsPerMessage = options.participantsPerMessage ?? 3;
    this.encodedWordRatio = options.encodedWordRatio ?? 0.15;
    const messages = options.messages ?? 0;
    const poolSize = Math.max(
      this.participantsPerMessage * 2,
      options.people ?? Math.ceil((messages * this.participantsPerMessage) / 3),
    );
    this.people = generatePeople(poolSize, this.random);
    // History ids start somewhere realistic and differ between seeds.
    this.historyId = 1_000_000 + (seed % 1000) * 1000;
    const days = options.days ?? 120;
    const start = this.now() - days * 86_400_000;
    const kinds: MessageKind[] = [
      ...Array<MessageKind>(messages).fill("personal"),
      ...Array<MessageKind>(options.categoryMessages ?? 0).fill("category"),
      ...Array<MessageKind>(options.automatedMessages ?? 0).fill("automated"),
    ];
    // Shuffle the kinds so category and automated mail is spread through time.
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
    }
    const span = days * 86_400_000;
    kinds.forEach((kind, i) => {
      const at = start + Math.floor(((i + this.random() * 0.9) / Math.max(1, kinds.length)) * span);
      this.insert(this.generate(kind, at));
    });
    // Mail that existed when the fake started has no history records left to read.
    this.historyFloor = this.historyId;
  }

  /** Delivers `count` new personal messages (dated now, one ms apart) and logs them in the history. */
  addMessages(count: number, kind: MessageKind = "personal"): FakeMessage[] {
    const added: FakeMessage[] = [];
    const base = Math.max(this.now(), (this.messages.at(-1)?.internalDate ?? 0) + 1);
    for (let i = 0; i < count; i++) {
      const message = this.generate(kind, base + i);
      this.insert(message);
      this.history.push({ id: message.historyId, added: [message], deleted: [] });
      added.push(message);
    }
    return added;
  }

  /** Deletes a message (as emptying the trash does) and logs it in the history. */
  deleteMessage(id: string): void {
    const message = this.byId.get(id);
    if (!message || message.deleted) return;
    message.deleted = true;
    this.historyId += 1;
    this.history.push({ id: this.historyId, added: [], deleted: [message] });
  }

  /** Forgets every history record: `history.list` from any id before now answers 404. */
  expireHistory(): void {
    this.historyFloor = this.historyId;
    this.history.length = 0;
  }

  get(id: string): FakeMessage | undefined {
    const message = this.byId.get(id);
    return message && !message.deleted ? message : undefined;
  }

  /** Live messages, newest first. */
  newestFirst(): FakeMessage[] {
    const live: FakeMessage[] = [];
    for (let i = this.messages.length - 1; i >= 0; i--) if (!this.messages[i]!.deleted) live.push(this.messages[i]!);
    return live;
  }

  /**
   * The distinct addresses (lower case) a CRM should make contacts of: everyone on
   * personal mail except the owner and the owner's aliases.
   */
  expectedContacts(messages: readonly FakeMessage[] = this.messages): Set<string> {
    const own = new Set([this.email, ...this.aliases]);
    const emails = new Set<string>();
    for (const message of messages) {
      if (message.kind !== "personal" || message.deleted) continue;
      for (const person of [message.from, ...message.to, ...message.cc]) {
        if (!own.has(person.email)) emails.add(person.email);
      }
    }
    return emails;
  }

  private insert(message: FakeMessage): void {
    this.messages.push(message);
    this.byId.set(message.id, message);
  }

  private generate(kind: MessageKind, internalDate: number): FakeMessage {
    const random = this.random;
    this.seq += 1;
    this.historyId += 1;
    const id = messageId(internalDate, this.seq);
    const owner: Person = { name: this.name, email: this.email };
    let from: Person;
    let to: Person[];
    let cc: Person[] = [];
    let direction: "inbound" | "outbound" = "inbound";
    const labelIds: string[] = [];
    let subject = pick(SUBJECTS, random);
    if (kind === "personal") {
      const chosen = new Set<Person>();
      while (chosen.size < Math.min(this.participantsPerMessage, this.people.length))
        chosen.add(pick(this.people, random));
      const participants = [...chosen];
      if (random() < 0.35) {
        direction = "outbound";
        const alias = this.aliases.length > 0 && random() < 0.3 ? pick(this.aliases, random) : null;
        from = alias ? { name: this.name, email: alias } : owner;
        const toCount = Math.max(1, Math.ceil(participants.length / 2));
        to = participants.slice(0, toCount);
        cc = participants.slice(toCount);
        labelIds.push("SENT");
      } else {
        from = participants[0]!;
        to = [owner, ...participants.slice(1, 2)];
        cc = participants.slice(2);
        labelIds.push("INBOX", "CATEGORY_PERSONAL");
        if (random() < 0.3) labelIds.push("UNREAD");
        if (random() < 0.2) labelIds.push("IMPORTANT");
      }
    } else if (kind === "category") {
      const index = Math.floor(random() * NEWSLETTER_SENDERS.length);
      from = NEWSLETTER_SENDERS[index]!;
      to = [owner];
      labelIds.push("INBOX", CATEGORY_LABELS[index]!);
      subject = "This week's picks for you";
    } else {
      from = pick(AUTOMATED_SENDERS, random);
      to = [owner];
      labelIds.push("INBOX", "CATEGORY_PERSONAL");
      subject = "Your notification";
    }
    const encoded = random() < this.encodedWordRatio;
    const fmt = (person: Person) => formatAddress(person, random, encoded);
    const domain = from.email.slice(from.email.indexOf("@") + 1);
    const headers: { name: string; value: string }[] = [
      { name: "Delivered-To", value: this.email },
      { name: "Date", value: formatDate(internalDate) },
      { name: "Message-ID", value: `<${id}.${this.seq}@mail.${domain}>` },
      { name: "Subject", value: encoded && random() < 0.5 ? encodedWordQ(subject) : subject },
      { name: "From", value: fmt(from) },
      { name: "To", value: to.map(fmt).join(", ") },
    ];
    if (cc.length > 0) headers.push({ name: "Cc", value: cc.map(fmt).join(", ") });
    headers.push({ name: "Content-Type", value: 'text/plain; charset="UTF-8"' });
    const snippet = pick(SNIPPETS, random);
    return {
      id,
      threadId: id,
      labelIds,
      snippet,
      historyId: this.historyId,
      internalDate,
      sizeEstimate: 2_000 + Math.floor(random() * 30_000),
      headers,
      body: `${snippet}\n\n-- \n${from.name ?? from.email}\n`,
      kind,
      direction,
      from,
      to,
      cc,
      subject,
      deleted: false,
    };
  }
}
